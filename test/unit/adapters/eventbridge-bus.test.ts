import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBusPutError, eventBridgeBus } from '../../../shared/adapters/aws/eventbridge-bus';

describe('EventBridge event bus adapter', () => {
  const client = new EventBridgeClient({ region: 'eu-west-1' });
  const mock = mockClient(client);
  beforeEach(() => mock.reset());

  it('sends entries to our bus with the detail as a JSON string, ten per call', async () => {
    mock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }));
    const events = Array.from({ length: 12 }, (_, i) => ({
      source: 'vigil.test',
      detailType: 'Test',
      detail: { tenantId: 't1', n: i },
    }));

    const result = await eventBridgeBus(client, 'vigil-prod').put(events);

    const calls = mock.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      EventBusName: 'vigil-prod',
      Source: 'vigil.test',
      DetailType: 'Test',
      Detail: '{"tenantId":"t1","n":0}',
    });
    expect(result.eventIds).toHaveLength(12);
  });

  it('rejects when EventBridge refuses an entry, so the caller can retry', async () => {
    mock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });

    await expect(
      eventBridgeBus(client, 'vigil-prod').put([{ source: 'vigil.test', detailType: 'T', detail: {} }]),
    ).rejects.toThrow(EventBusPutError);
  });
});
