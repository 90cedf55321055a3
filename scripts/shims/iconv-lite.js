// Bundled in place of iconv-lite (480 KiB). urllib, under ali-oss, loads it only to decode a response whose
// charset Node does not know; OSS answers UTF-8, so a function never needs it. Fail loudly if it ever does.
module.exports = {
  decode(_data, charset) {
    throw new Error(`unsupported response charset \`${charset}\` (iconv-lite is not bundled)`);
  },
  encode(_text, charset) {
    throw new Error(`unsupported request charset \`${charset}\` (iconv-lite is not bundled)`);
  },
};
