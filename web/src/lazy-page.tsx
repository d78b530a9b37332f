import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNotice } from './components/notice';
import { Loading, Page } from './components/page';

type Screen = ComponentType<{ id: string }>;

/**
 * A page whose code is fetched the first time it is shown (its own chunk), so the
 * pages most people open first load no code they do not use. Loaded once per tab.
 */
export function lazyPage(load: () => Promise<Screen>): Screen {
  let loaded: Screen | undefined;
  let pending: Promise<Screen> | undefined;
  return function LazyPage(props: { id: string }) {
    const [screen, setScreen] = useState<{ page?: Screen }>({ page: loaded });
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (screen.page) return;
      let live = true;
      pending ??= load().then((page) => (loaded = page));
      pending.then(
        (page) => live && setScreen({ page }),
        () => {
          pending = undefined; // a later visit tries again
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (failed)
      return (
        <Page title="Page not loaded" name="page-not-loaded" ready>
          <ErrorNotice message="This page's code could not be fetched from regrelay: check the connection and reload." />
        </Page>
      );
    const Page_ = screen.page;
    return Page_ ? <Page_ {...props} /> : <Loading />;
  };
}
