/** A digest, shortened on screen ("sha256:0f3c9a1b2c3d…"); the whole of it on hover and to copy. */
export function Digest({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="muted">none</span>;
  const [algorithm, hex = ''] = value.split(':');
  const short = hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : value;
  return (
    <code class="digest" title={value} data-digest={value}>
      {short}
    </code>
  );
}
