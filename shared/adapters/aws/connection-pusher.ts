import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionPusher } from '../../realtime/ports';

/**
 * Pushes to a WebSocket connection through API Gateway's management API (`PostToConnection`). The
 * client's endpoint is the WebSocket stage URL (`WS_MANAGEMENT_ENDPOINT`); locally it is the local
 * gateway, which implements the same `POST /@connections/{id}` call.
 */
export function apiGatewayPusher(client: ApiGatewayManagementApiClient): ConnectionPusher {
  return {
    async push(connectionId, message) {
      try {
        await client.send(
          new PostToConnectionCommand({
            ConnectionId: connectionId,
            Data: Buffer.from(JSON.stringify(message)),
          }),
        );
        return 'delivered';
      } catch (err) {
        if (err instanceof GoneException) return 'gone';
        throw err;
      }
    },
  };
}
