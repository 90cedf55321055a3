import { createOfficeConversionTask, parsePages } from '../../local/imm/actions/createOfficeConversionTask';
import { ImmError } from '../../local/imm/errors';

describe('CreateOfficeConversionTask parameters', () => {
  it.each([
    ['1', [1]],
    ['1,2-4,7', [1, 2, 3, 4, 7]],
    [' 3 , 5-5 ', [3, 5]],
  ])('reads Pages %p', (spec, pages) => {
    // Act / Assess
    expect(parsePages(spec)).toEqual(pages);
  });

  it.each(['0', '4-2', 'a', '1,,2', '1-9999'])('refuses Pages %p with 400', (spec) => {
    // Act / Assess
    expect(() => parsePages(spec)).toThrow(ImmError);
  });

  it.each([
    [{ SourceURI: 'oss://bkt/a.pdf', TargetURIPrefix: 'oss://bkt/out/' }, /TargetType/],
    [{ SourceURI: 'oss://bkt/a.pdf', TargetType: 'docx', TargetURIPrefix: 'oss://bkt/out/' }, /TargetType is not valid/],
    [{ SourceURI: 'oss://bkt/a.pdf', TargetType: 'png', TargetURIPrefix: 'oss://bkt/out' }, /must end with/],
    [{ SourceURI: 'oss://bkt/a.pdf', TargetType: 'png', TargetURI: 'oss://bkt/x.png', TargetURIPrefix: 'oss://bkt/out/' }, /TargetURI is not supported/],
    [{ SourceURI: 'http://bkt/a.pdf', TargetType: 'png', TargetURIPrefix: 'oss://bkt/out/' }, /SourceURI/],
  ])('refuses %p', (params, message) => {
    // Act / Assess
    expect(() => createOfficeConversionTask.parse({ ProjectName: 'p', ...params })).toThrow(message);
  });

  it('parses a valid request', () => {
    // Act
    const input = createOfficeConversionTask.parse({ ProjectName: 'p', SourceURI: 'oss://bkt/in/a.pdf', TargetType: 'png', TargetURIPrefix: 'oss://bkt/converted/in/a.pdf/', Pages: '1' });
    // Assess
    expect(input).toMatchObject({ source: { bucket: 'bkt', key: 'in/a.pdf' }, targetType: 'png', targetPrefix: { bucket: 'bkt', key: 'converted/in/a.pdf/' }, pages: [1] });
  });
});
