import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Pipeline } from '../api/pipeline-types';
import type { Registry } from '../api/types';
import { EditPage } from '../components/edit-page';
import { FormErrors } from '../components/form-errors';
import { useFormSave } from '../hooks/use-form-save';
import { Link } from '../router';

/** A definition to start from: two stages, the second behind one approval. */
function template(registries: Registry[]): object {
  return {
    name: 'app-release',
    stages: [
      { name: 'dev', registryId: registries[0]?.id ?? '' },
      {
        name: 'prod',
        registryId: registries[1]?.id ?? registries[0]?.id ?? '',
        repository: '{repository}',
        immutableTags: [],
        gates: [{ type: 'approval', required: 1 }],
        autoPromote: false,
      },
    ],
  };
}

/** What PUT takes back: the definition, without what the server adds. */
function definitionOf(p: Pipeline): object {
  return {
    name: p.name,
    stages: p.stages.map((s) => ({
      name: s.name,
      registryId: s.registryId,
      repository: s.repository,
      immutableTags: s.immutableTags,
      gates: s.gates,
      autoPromote: s.autoPromote,
    })),
  };
}

/**
 * /pipelines/new and /pipelines/:id/edit, for admins: the definition as JSON (stages
 * with gates are data, as in docs/promotions.md), with the registries' ids beside it
 * and the API's reasons listed by field.
 */
export function PipelineEditPage({ id }: { id?: string }) {
  return (
    <EditPage<Pipeline> id={id} noun="pipeline" path="/api/v1/pipelines" name="pipeline-form">
      {(registries, pipeline) => <PipelineForm pipeline={pipeline} registries={registries} />}
    </EditPage>
  );
}

function PipelineForm({ pipeline, registries }: { pipeline?: Pipeline; registries: Registry[] }) {
  const [text, setText] = useState(() =>
    JSON.stringify(pipeline ? definitionOf(pipeline) : template(registries), null, 2),
  );
  const { error, setError, busy, save } = useFormSave<Pipeline>(
    (saved) => `/pipelines/${saved.id}`,
  );
  const submit = (event: Event) => {
    event.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      setError(new ApiError(400, `The definition is not JSON: ${(e as Error).message}`));
      return;
    }
    return save(() =>
      api<Pipeline>(pipeline ? `/api/v1/pipelines/${pipeline.id}` : '/api/v1/pipelines', {
        method: pipeline ? 'PUT' : 'POST',
        json: body,
      }),
    );
  };
  return (
    <div class="two-col">
      <form class="form card" onSubmit={(e) => void submit(e)} noValidate>
        <FormErrors error={error} what="pipeline" />
        <div class="field">
          <label for="pipeline-definition">Definition (JSON)</label>
          <textarea
            id="pipeline-definition"
            rows={24}
            spellcheck={false}
            value={text}
            aria-describedby="pipeline-definition-hint"
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <p class="hint" id="pipeline-definition-hint">
            Stages in order, each a registry and a repository mapping, with optional gates
            (approval, signature, referrer, soak, check, window), immutable tags and auto-promotion:
            see docs/promotions.md.{' '}
            {pipeline && 'Stages keep their history, arrivals and holds by name.'}
          </p>
        </div>
        <div class="form-actions">
          <Link href={pipeline ? `/pipelines/${pipeline.id}` : '/pipelines'} class="button">
            Cancel
          </Link>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : pipeline ? 'Save pipeline' : 'Create pipeline'}
          </button>
        </div>
      </form>
      <section class="card" aria-labelledby="registry-ids-title">
        <h2 id="registry-ids-title">Registries</h2>
        <table class="table compact">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">registryId</th>
            </tr>
          </thead>
          <tbody>
            {registries.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.name}</th>
                <td class="mono wrap">{r.id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
