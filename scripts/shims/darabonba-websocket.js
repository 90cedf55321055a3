// Bundled in place of @darabonba/typescript's websocket module, which pulls in `ws` and three proxy agents
// (~130 KiB). openapi-core reaches it only for `ws:`/`wss:` protocols; imm-bridge calls IMM and STS over
// HTTP(S), so a function never needs it. Fail loudly if it ever does.
function unavailable() {
  throw new Error('WebSocket support is not bundled into imm-bridge functions');
}
// openapi-core's websocketUtils subclass AbstractWebSocketHandler when they load, so it must be a class.
class AbstractWebSocketHandler {}
class DefaultWebSocketClient {
  constructor() {
    unavailable();
  }
}
module.exports = {
  AbstractWebSocketHandler,
  DefaultWebSocketClient,
  WebSocketMessageType: {},
  getWebSocketHandler: unavailable,
  newWebSocketClientAndConnect: unavailable,
  newDefaultWebSocketClient: unavailable,
};
