// GenerateWebofficeToken's parameters in the offline IMM: what is accepted, what it defaults to, and the
// message each refusal gives.
import { ImmError } from '../../local/imm/errors';
import { assertPreviewSize, documentKind, MAX_PREVIEW_BYTES, parseGenerateParams } from '../../local/imm/weboffice/params';

const SOURCE = 'oss://test-bucket-2024/incoming/docs/report.pdf';

/** The ImmError parsing throws. */
function refusal(params: Record<string, string>): ImmError {
  try {
    parseGenerateParams(params);
  } catch (error) {
    if (error instanceof ImmError) return error;
    throw error;
  }
  throw new Error('expected the parameters to be refused');
}

describe('parseGenerateParams', () => {
  it('takes the file name from the last segment of SourceURI and reads the documented JSON parameters', () => {
    // Act
    const input = parseGenerateParams({
      SourceURI: SOURCE,
      Permission: '{"Readonly":true,"Print":false}',
      User: '{"Id":"u1","Name":"Ann","Avatar":"https://example.com/a.png"}',
      PreviewPages: '3',
      Watermark: '{"Type":1,"Value":"draft","Rotate":-45}',
      Hidecmb: 'true',
      UserData: '{"x":1}',
      Notification: '{"MNS":{"TopicName":"t"}}',
    });

    // Assess
    expect(input).toEqual({
      source: { bucket: 'test-bucket-2024', key: 'incoming/docs/report.pdf', uri: SOURCE },
      filename: 'report.pdf',
      kind: 'pdf',
      permission: { Readonly: true, Print: false },
      user: { Id: 'u1', Name: 'Ann', Avatar: 'https://example.com/a.png' },
      previewPages: 3,
    });
  });

  it('lets Filename decide the kind of document, whatever the object is called', () => {
    // Act
    const input = parseGenerateParams({ SourceURI: 'oss://test-bucket-2024/incoming/blob', Filename: 'Quarterly report.DOCX' });

    // Assess
    expect(input).toMatchObject({ filename: 'Quarterly report.DOCX', kind: 'office', permission: {} });
  });

  it('reads PreviewPages 0 as no limit', () => {
    // Act
    const input = parseGenerateParams({ SourceURI: SOURCE, PreviewPages: '0' });

    // Assess
    expect(input.previewPages).toBeUndefined();
  });

  it.each([
    ['no SourceURI', {}, 'The parameter SourceURI is required but not provided.'],
    ['a SourceURI that is not oss://', { SourceURI: 'https://b/a.pdf' }, 'The parameter SourceURI `https://b/a.pdf` is not valid'],
    ['a default file name without an extension', { SourceURI: 'oss://test-bucket-2024/incoming/README' }, 'The parameter Filename `README` is not valid: it must have an extension'],
    ['a Filename with a path', { SourceURI: SOURCE, Filename: 'a/b.pdf' }, 'it must not contain `/`'],
    ['a Filename over 255 bytes', { SourceURI: SOURCE, Filename: `${'é'.repeat(128)}.pdf` }, 'it must be at most 255 bytes'],
    ['a file type nothing can show', { SourceURI: SOURCE, Filename: 'a.zip' }, 'the local WebOffice shows pdf, txt, doc'],
    ['Permission that is not JSON', { SourceURI: SOURCE, Permission: '{Readonly' }, 'The parameter Permission is not valid JSON'],
    ['Permission that is an array', { SourceURI: SOURCE, Permission: '[true]' }, 'The parameter Permission is not valid: it must be a JSON object.'],
    ['a Permission flag that is a string', { SourceURI: SOURCE, Permission: '{"Readonly":"true"}' }, 'Readonly must be true or false'],
    ['an unknown Permission flag', { SourceURI: SOURCE, Permission: '{"Edit":true}' }, 'unknown field `Edit`'],
    ['a writable PDF', { SourceURI: SOURCE, Permission: '{"Readonly":false}' }, 'a PDF can only be previewed, so Readonly must be true'],
    ['a User Id with punctuation', { SourceURI: SOURCE, User: '{"Id":"a.b"}' }, 'Id must be 1 to 15 letters or digits'],
    ['a User Id of 16 characters', { SourceURI: SOURCE, User: '{"Id":"abcdefghijklmnop"}' }, 'Id must be 1 to 15 letters or digits'],
    ['a User Name of 33 characters', { SourceURI: SOURCE, User: JSON.stringify({ Id: 'u1', Name: 'n'.repeat(33) }) }, 'Name must be a string of at most 32 characters'],
    ['an Avatar that is not a URL', { SourceURI: SOURCE, User: '{"Avatar":"javascript:alert(1)"}' }, 'Avatar must be an http(s) URL'],
    ['an unknown User field', { SourceURI: SOURCE, User: '{"Email":"a@b"}' }, 'unknown field `Email`'],
    ['a Watermark Type of 2', { SourceURI: SOURCE, Watermark: '{"Type":2}' }, 'Type must be 0 (none) or 1 (text)'],
    ['a Watermark Value that is a number', { SourceURI: SOURCE, Watermark: '{"Value":1}' }, 'Value must be a string'],
    ['PreviewPages over 5000', { SourceURI: SOURCE, PreviewPages: '5001' }, 'it must be a whole number from 0 to 5000'],
    ['PreviewPages that is not a number', { SourceURI: SOURCE, PreviewPages: '1e3' }, 'it must be a whole number from 0 to 5000'],
    ['Hidecmb that is not a boolean', { SourceURI: SOURCE, Hidecmb: 'yes' }, 'The parameter Hidecmb `yes` is not valid: it must be true or false.'],
    ['UserData over 2048 bytes', { SourceURI: SOURCE, UserData: 'x'.repeat(2049) }, 'it must be at most 2048 bytes'],
    ['a Notification without a topic', { SourceURI: SOURCE, Notification: '{"MNS":{}}' }, 'MNS.TopicName is required'],
  ])('refuses %s with 400 InvalidArgument', (_name, params, message) => {
    // Act
    const error = refusal(params as Record<string, string>);

    // Assess
    expect({ status: error.status, code: error.code }).toEqual({ status: 400, code: 'InvalidArgument' });
    expect(error.message).toContain(message);
  });
});

describe('documentKind', () => {
  it.each([
    ['a.pdf', 'pdf'],
    ['a.TXT', 'text'],
    ['a.xlsx', 'office'],
    ['a.pptx', 'office'],
    ['a.jpeg', 'image'],
    ['a.webp', 'image'],
    ['a.zip', undefined],
    ['pdf', undefined],
  ])('%s is shown as %p', (filename, kind) => {
    // Act / Assess
    expect(documentKind(filename)).toBe(kind);
  });
});

describe('assertPreviewSize', () => {
  const source = { bucket: 'b', key: 'a.pdf', uri: 'oss://b/a.pdf' };

  it('accepts exactly 200 MB', () => {
    // Act / Assess
    expect(() => assertPreviewSize(MAX_PREVIEW_BYTES, source)).not.toThrow();
  });

  it('refuses one byte more, naming the file and the limit', () => {
    // Act
    const act = () => assertPreviewSize(MAX_PREVIEW_BYTES + 1, source);

    // Assess
    expect(act).toThrow('The file `oss://b/a.pdf` is too large to preview: 209715201 bytes, WebOffice previews files up to 200 MB (209715200 bytes).');
  });
});
