import { loadConfig, parseUploadRoutes, type UploadRoutes } from '../../shared/config';
import { jobFor } from '../../shared/jobs';

const defaults: UploadRoutes = { image: 'score', video: 'mp4', audio: 'mp3', document: 'png' };

describe('jobFor', () => {
  it.each([
    ['incoming/a.JPG', { operation: 'DetectImageScore' }],
    ['incoming/clip.mov', { operation: 'CreateMediaConvertTask', container: 'mp4' }],
    ['incoming/song.wav', { operation: 'CreateMediaConvertTask', container: 'mp3' }],
    ['incoming/report.docx', { operation: 'CreateOfficeConversionTask', targetType: 'png', pages: '1' }],
    ['incoming/notes.txt', { operation: 'CreateOfficeConversionTask', targetType: 'png', pages: '1' }],
    ['incoming/blob.bin', { operation: 'none', reason: expect.stringContaining('`.bin`') }],
    ['incoming/README', { operation: 'none', reason: expect.stringContaining('no file extension') }],
  ])('routes %s', (key, expected) => {
    // Act / Assess
    expect(jobFor(key, defaults)).toEqual(expected);
  });

  it('follows UPLOAD_ROUTES: other containers and targets, and off', () => {
    // Prepare
    const { routes } = parseUploadRoutes('video=mkv, document=pdf, audio=off', defaults);
    // Act / Assess
    expect(jobFor('incoming/a.mp4', routes)).toEqual({ operation: 'CreateMediaConvertTask', container: 'mkv' });
    expect(jobFor('incoming/a.pdf', routes)).toEqual({ operation: 'CreateOfficeConversionTask', targetType: 'pdf' });
    expect(jobFor('incoming/a.mp3', routes)).toEqual({ operation: 'none', reason: expect.stringContaining('off') });
  });

  it('reports bad UPLOAD_ROUTES entries in the one configuration message', () => {
    // Act / Assess
    expect(() => loadConfig({ IMM_PROJECT: 'p', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'bkt', UPLOAD_ROUTES: 'video=exe,pictures=score' })).toThrow(
      /UPLOAD_ROUTES: `video` must be one of .*; UPLOAD_ROUTES: unknown kind `pictures`/,
    );
  });
});
