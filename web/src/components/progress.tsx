/** A labelled progress bar; `value` is a whole percent. */
export function ProgressBar({ value, label }: { value: number; label: string }) {
  return (
    <div
      class="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-label={label}
    >
      <div class="progress-fill" style={{ width: `${value}%` }} />
      <span class="progress-text">{value}%</span>
    </div>
  );
}
