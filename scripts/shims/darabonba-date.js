// Bundled in place of @darabonba/typescript's Date helper, which pulls in moment (~63 KiB). Neither
// openapi-core nor the STS client uses it (they use the global Date). Fail loudly if anything ever does.
class TeaDate {
  constructor() {
    throw new Error('$dara.Date is not bundled into imm-bridge functions');
  }
}
module.exports = { __esModule: true, default: TeaDate };
