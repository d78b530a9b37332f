import { describe, expect, it } from '@jest/globals';
import { errorFromResponse, parseErrorBody } from './errors.js';

const context = { registry: 'r', repository: 'app', reference: 'v1' };

describe('registry error bodies', () => {
  it('keeps the OCI code and message, not the detail', () => {
    const body = JSON.stringify({
      errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { tag: 'v1' } }],
    });
    expect(parseErrorBody(body)).toEqual({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' });
  });

  it('keeps nothing of a body that is not an OCI error: HTML pages, text, echoed headers', () => {
    const html = `<html><body><h1>502 Bad Gateway</h1><pre>Authorization: Basic YWxpY2U6c2VjcmV0</pre>${'x'.repeat(60_000)}</body></html>`;
    expect(parseErrorBody(html)).toEqual({});
    expect(parseErrorBody('GET /v2/ HTTP/1.1\r\nAuthorization: Bearer abc.def.ghi\r\n')).toEqual(
      {},
    );
    expect(parseErrorBody('{"message":"not the OCI shape"}')).toEqual({});
    const error = errorFromResponse({ status: 502, method: 'GET', bodyText: html }, context);
    expect(error.message).toBe('r app:v1: the registry failed for now [HTTP 502]');
  });

  it('cuts a long or multi-line message to one bounded line and drops markup', () => {
    const long = JSON.stringify({
      errors: [{ code: 'DENIED', message: `line one\nline two ${'y'.repeat(5000)}` }],
    });
    const { message } = parseErrorBody(long);
    expect(message).toMatch(/^line one line two y+…$/);
    expect(message!.length).toBeLessThanOrEqual(201);
    const markup = JSON.stringify({
      errors: [{ code: 'DENIED', message: '<html><b>no</b></html>' }],
    });
    expect(parseErrorBody(markup)).toEqual({ code: 'DENIED' });
    const oddCode = JSON.stringify({ errors: [{ code: 'X'.repeat(500), message: 'm' }] });
    expect(parseErrorBody(oddCode)).toEqual({ message: 'm' });
  });
});
