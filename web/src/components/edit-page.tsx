import type { ComponentChildren } from 'preact';
import { api } from '../api/client';
import type { Registry } from '../api/types';
import { useResource } from '../hooks/use-resource';
import { ErrorNotice } from './notice';
import { Loading, Page } from './page';

/**
 * The frame of /<things>/new and /<things>/:id/edit: the registries a form chooses
 * from and, when editing, the thing itself (`GET <path>/<id>`), loaded before the form
 * shows; the page is ready once both are there.
 */
export function EditPage<T extends { name: string }>({
  id,
  noun,
  path,
  name,
  children,
}: {
  id?: string;
  /** "policy", "topology", "pipeline": in the title. */
  noun: string;
  path: string;
  /** The page's name for `data-page` (the bench and the tests wait for it). */
  name: string;
  children: (registries: Registry[], item: T | undefined) => ComponentChildren;
}) {
  const data = useResource(
    async (signal) => ({
      registries: await api<Registry[]>('/api/v1/registries', { signal }),
      item: id ? await api<T>(`${path}/${id}`, { signal }) : undefined,
    }),
    [id, path],
  );
  const title = id ? `Edit ${noun} ${data.data?.item?.name ?? ''}` : `New ${noun}`;
  return (
    <Page title={title} name={name} ready={data.data !== undefined}>
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {!data.data && data.loading && <Loading />}
      {data.data && children(data.data.registries, data.data.item)}
    </Page>
  );
}
