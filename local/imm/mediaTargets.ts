// CreateMediaConvertTask's Sources and Targets (reference §2): parsed from their JSON strings into what the
// emulator supports, and turned into ffmpeg arguments. Pure functions; the fields the emulator does not
// implement (Subtitles, Image, Segment, TargetGroups, …) are refused with 400 rather than ignored.
import { immErrors } from './errors';
import { parseOssUri, type OssUri } from './params';

export interface MediaSource {
  uri: OssUri;
  startTime?: number;
  duration?: number;
  disableVideo: boolean;
  disableAudio: boolean;
}

export type VideoCodec = 'h264' | 'h265' | 'vp9' | 'copy';
export type AudioCodec = 'aac' | 'mp3' | 'opus' | 'flac' | 'copy';

export interface MediaTarget {
  uri: OssUri;
  container: string;
  /** undefined: no video stream in the output. */
  video?: { codec: VideoCodec; width?: number; height?: number; crf?: number; bitrate?: number; frameRate?: number };
  audio?: { codec: AudioCodec; bitrate?: number; sampleRate?: number; channels?: number };
}

/** Container → ffmpeg muxer (`-f`), and whether it holds audio only. */
const CONTAINERS: Readonly<Record<string, { format: string; audioOnly: boolean; mime: string }>> = {
  mp4: { format: 'mp4', audioOnly: false, mime: 'video/mp4' },
  mkv: { format: 'matroska', audioOnly: false, mime: 'video/x-matroska' },
  mov: { format: 'mov', audioOnly: false, mime: 'video/quicktime' },
  ts: { format: 'mpegts', audioOnly: false, mime: 'video/mp2t' },
  flv: { format: 'flv', audioOnly: false, mime: 'video/x-flv' },
  avi: { format: 'avi', audioOnly: false, mime: 'video/x-msvideo' },
  mp3: { format: 'mp3', audioOnly: true, mime: 'audio/mpeg' },
  aac: { format: 'adts', audioOnly: true, mime: 'audio/aac' },
  flac: { format: 'flac', audioOnly: true, mime: 'audio/flac' },
  oga: { format: 'ogg', audioOnly: true, mime: 'audio/ogg' },
  opus: { format: 'opus', audioOnly: true, mime: 'audio/opus' },
};

const VIDEO_ENCODERS: Readonly<Record<VideoCodec, string>> = { h264: 'libx264', h265: 'libx265', vp9: 'libvpx-vp9', copy: 'copy' };
const AUDIO_ENCODERS: Readonly<Record<AudioCodec, string>> = { aac: 'aac', mp3: 'libmp3lame', opus: 'libopus', flac: 'flac', copy: 'copy' };

type Json = Record<string, unknown>;

const bad = (name: string, why: string) => immErrors.invalidArgument(`The parameter ${name} is not valid: ${why}.`);

function object(name: string, value: unknown): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(name, 'it must be a JSON object');
  return value as Json;
}

function onlyFields(name: string, value: Json, supported: readonly string[]): void {
  for (const field of Object.keys(value)) {
    if (!supported.includes(field)) throw bad(name, `field \`${field}\` is not supported by the emulator (supported: ${supported.join(', ')})`);
  }
}

function nonEmptyArray(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw bad(name, 'it must be a non-empty JSON array');
  return value;
}

function number(name: string, value: unknown, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw bad(name, `it must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not \`${JSON.stringify(value)}\``);
  }
  return value;
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw bad(name, 'it must be true or false');
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw bad(name, `\`${String(value)}\` is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** Sources: the emulator converts one source (no concatenation). */
export function parseSources(value: unknown): MediaSource {
  const sources = nonEmptyArray('Sources', value);
  if (sources.length > 1) throw bad('Sources', 'the emulator converts a single source; concatenation is not supported');
  const s = object('Sources[0]', sources[0]);
  onlyFields('Sources[0]', s, ['URI', 'StartTime', 'Duration', 'DisableVideo', 'DisableAudio']);
  if (typeof s.URI !== 'string') throw bad('Sources[0].URI', 'it must be `oss://<bucket>/<object>`');
  const duration = number('Sources[0].Duration', s.Duration, 0, 1e7);
  return {
    uri: parseOssUri('Sources[0].URI', s.URI),
    startTime: number('Sources[0].StartTime', s.StartTime, 0, 1e7),
    // 0 means "to the end" (reference §2).
    duration: duration === 0 ? undefined : duration,
    disableVideo: flag('Sources[0].DisableVideo', s.DisableVideo),
    disableAudio: flag('Sources[0].DisableAudio', s.DisableAudio),
  };
}

export function parseTargets(value: unknown): MediaTarget[] {
  return nonEmptyArray('Targets', value).map((raw, i) => parseTarget(`Targets[${i}]`, raw));
}

function parseTarget(name: string, raw: unknown): MediaTarget {
  const t = object(name, raw);
  onlyFields(name, t, ['URI', 'Container', 'Video', 'Audio']);
  if (typeof t.URI !== 'string') throw bad(`${name}.URI`, 'it must be `oss://<bucket>/<object>`');
  const uri = parseOssUri(`${name}.URI`, t.URI);
  if (typeof t.Container !== 'string' || !CONTAINERS[t.Container]) throw bad(`${name}.Container`, `\`${String(t.Container)}\` is not one of ${Object.keys(CONTAINERS).join(', ')}`);
  const container = t.Container;
  const video = parseVideo(`${name}.Video`, t.Video);
  const audio = parseAudio(`${name}.Audio`, t.Audio);
  if (CONTAINERS[container].audioOnly && video && t.Video !== undefined) throw bad(`${name}.Video`, `container \`${container}\` holds audio only; set Video.DisableVideo`);
  return { uri, container, video: CONTAINERS[container].audioOnly ? undefined : video, audio };
}

function parseVideo(name: string, raw: unknown): MediaTarget['video'] {
  if (raw === undefined) return { codec: 'copy' };
  const v = object(name, raw);
  onlyFields(name, v, ['DisableVideo', 'TranscodeVideo']);
  if (flag(`${name}.DisableVideo`, v.DisableVideo)) return undefined;
  if (v.TranscodeVideo === undefined) return { codec: 'copy' };
  const n = `${name}.TranscodeVideo`;
  const tv = object(n, v.TranscodeVideo);
  onlyFields(n, tv, ['Codec', 'Resolution', 'CRF', 'Bitrate', 'FrameRate']);
  // The documented default is copy.
  const codec = oneOf<VideoCodec>(`${n}.Codec`, tv.Codec, ['h264', 'h265', 'vp9', 'copy'], 'copy');
  let width: number | undefined;
  let height: number | undefined;
  if (tv.Resolution !== undefined) {
    const m = typeof tv.Resolution === 'string' ? /^(\d{1,5})x(\d{1,5})$/.exec(tv.Resolution) : null;
    if (!m) throw bad(`${n}.Resolution`, `\`${String(tv.Resolution)}\` is not \`<width>x<height>\`, e.g. \`1280x720\``);
    width = Number(m[1]);
    height = Number(m[2]);
    // 4:2:0 encoders need even sizes.
    if (width < 2 || height < 2 || width > 7680 || height > 7680 || width % 2 || height % 2) throw bad(`${n}.Resolution`, `\`${tv.Resolution}\` must be even sizes from 2 to 7680`);
  }
  const crf = number(`${n}.CRF`, tv.CRF, 0, 51);
  const bitrate = number(`${n}.Bitrate`, tv.Bitrate, 10_000, 200_000_000, true);
  const frameRate = number(`${n}.FrameRate`, tv.FrameRate, 1, 120);
  if (codec === 'copy' && (width !== undefined || crf !== undefined || bitrate !== undefined || frameRate !== undefined)) {
    throw bad(n, 'Codec `copy` cannot change Resolution, CRF, Bitrate or FrameRate; choose h264, h265 or vp9');
  }
  if (crf !== undefined && bitrate !== undefined) throw bad(n, 'set CRF or Bitrate, not both');
  // CRF 23 when neither is set (reference §2).
  return { codec, width, height, crf: codec === 'copy' || bitrate !== undefined ? crf : (crf ?? 23), bitrate, frameRate };
}

function parseAudio(name: string, raw: unknown): MediaTarget['audio'] {
  if (raw === undefined) return { codec: 'copy' };
  const a = object(name, raw);
  onlyFields(name, a, ['DisableAudio', 'TranscodeAudio']);
  if (flag(`${name}.DisableAudio`, a.DisableAudio)) return undefined;
  if (a.TranscodeAudio === undefined) return { codec: 'copy' };
  const n = `${name}.TranscodeAudio`;
  const ta = object(n, a.TranscodeAudio);
  onlyFields(n, ta, ['Codec', 'Bitrate', 'SampleRate', 'Channel']);
  const codec = oneOf<AudioCodec>(`${n}.Codec`, ta.Codec, ['aac', 'mp3', 'opus', 'flac', 'copy'], 'copy');
  const bitrate = number(`${n}.Bitrate`, ta.Bitrate, 1000, 10_000_000, true);
  const sampleRate = number(`${n}.SampleRate`, ta.SampleRate, 8000, 192_000, true);
  const channels = number(`${n}.Channel`, ta.Channel, 1, 8, true);
  if (codec === 'copy' && (bitrate !== undefined || sampleRate !== undefined || channels !== undefined)) {
    throw bad(n, 'Codec `copy` cannot change Bitrate, SampleRate or Channel; choose aac, mp3, opus or flac');
  }
  return { codec, bitrate, sampleRate, channels };
}

export function contentType(target: MediaTarget): string {
  return CONTAINERS[target.container].mime;
}

/** ffmpeg arguments that convert `input` into `output` for one target; no shell is involved. */
export function ffmpegArgs(source: MediaSource, target: MediaTarget, input: string, output: string): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];
  if (source.startTime !== undefined) args.push('-ss', String(source.startTime));
  if (source.duration !== undefined) args.push('-t', String(source.duration));
  args.push('-i', input);
  const { video, audio } = target;
  if (!video || source.disableVideo) {
    args.push('-vn');
  } else {
    args.push('-c:v', VIDEO_ENCODERS[video.codec]);
    if (video.width !== undefined) args.push('-vf', `scale=${video.width}:${video.height}`);
    if (video.crf !== undefined) args.push('-crf', String(video.crf));
    if (video.bitrate !== undefined) args.push('-b:v', String(video.bitrate));
    if (video.frameRate !== undefined) args.push('-r', String(video.frameRate));
    // Players expect 4:2:0 H.264/H.265; testsrc and screen captures are often 4:4:4.
    if (video.codec === 'h264' || video.codec === 'h265') args.push('-pix_fmt', 'yuv420p');
  }
  if (!audio || source.disableAudio) {
    args.push('-an');
  } else {
    args.push('-c:a', AUDIO_ENCODERS[audio.codec]);
    if (audio.bitrate !== undefined) args.push('-b:a', String(audio.bitrate));
    if (audio.sampleRate !== undefined) args.push('-ar', String(audio.sampleRate));
    if (audio.channels !== undefined) args.push('-ac', String(audio.channels));
  }
  args.push('-f', CONTAINERS[target.container].format, output);
  return args;
}
