import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { apiGatewayPusher } from '../../../shared/adapters/aws/connection-pusher';

describe('API Gateway connection pusher', () => {
  const client = new ApiGatewayManagementApiClient({
    endpoint: 'https://example.execute-api.eu-west-1.amazonaws.com/prod',
    region: 'eu-west-1',
  });
  const mock = mockClient(client);

  it('posts the JSON message to the connection', async () => {
    mock.reset();
    mock.on(PostToConnectionCommand).resolves({});

    const outcome = await apiGatewayPusher(client).push('abc=', { type: 'pong' });

    expect(outcome).toBe('delivered');
    const input = mock.commandCalls(PostToConnectionCommand)[0]?.args[0].input;
    expect(input?.ConnectionId).toBe('abc=');
    expect(Buffer.from(input?.Data as Uint8Array).toString()).toBe('{"type":"pong"}');
  });

  it('reports a 410 Gone connection as gone and rethrows anything else', async () => {
    mock.reset();
    mock
      .on(PostToConnectionCommand, { ConnectionId: 'gone=' })
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }))
      .on(PostToConnectionCommand, { ConnectionId: 'broken=' })
      .rejects(new Error('throttled'));
    const pusher = apiGatewayPusher(client);

    expect(await pusher.push('gone=', {})).toBe('gone');
    await expect(pusher.push('broken=', {})).rejects.toThrow('throttled');
  });
});
