import { Layout } from './components/layout';
import { Page } from './components/page';
import { useSession } from './hooks/use-session';
import { SignIn } from './pages/sign-in';
import { Link, match, useLocation } from './router';
import { ROUTES } from './routes';

export function App() {
  const current = useSession();
  const { path } = useLocation();
  if (!current) return <SignIn />;
  for (const route of ROUTES) {
    const params = match(route.path, path);
    if (params) {
      const Screen = route.page;
      // Keyed by path: another id is another page, with fresh state.
      return (
        <Layout current={current}>
          <Screen key={path} {...(params as { id: string })} />
        </Layout>
      );
    }
  }
  return (
    <Layout current={current}>
      <Page title="Not found" name="not-found" ready>
        <p>
          The console has no page at <code>{path}</code>. <Link href="/">Go to the overview</Link>.
        </p>
      </Page>
    </Layout>
  );
}
