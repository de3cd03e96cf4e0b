import { describe, expect, it } from 'vitest';
import { githubAdapter } from '../../../../shared/integrations/adapters/github';
import { gitlabAdapter } from '../../../../shared/integrations/adapters/gitlab';
import { jiraAdapter } from '../../../../shared/integrations/adapters/jira';
import { linearAdapter } from '../../../../shared/integrations/adapters/linear';
import { trelloAdapter } from '../../../../shared/integrations/adapters/trello';

const adapters = [
  { adapter: githubAdapter, name: 'github', credentials: ['token'], selfHosted: true },
  { adapter: gitlabAdapter, name: 'gitlab', credentials: ['token'], selfHosted: true },
  { adapter: jiraAdapter, name: 'jira', credentials: ['token'], selfHosted: true },
  { adapter: linearAdapter, name: 'linear', credentials: ['apiKey'], selfHosted: false },
  { adapter: trelloAdapter, name: 'trello', credentials: ['apiKey', 'token'], selfHosted: false },
];

describe('ticketing catalog entries', () => {
  it.each(adapters)(
    '$name declares a ticketing entry whose only secrets are its credentials',
    ({ adapter, name, credentials, selfHosted }) => {
      const { catalog } = adapter;
      expect(adapter.kind).toBe('ticketing');
      expect(catalog.name).toBe(name);
      expect(catalog.category).toBe('ticketing');
      expect(catalog.supports).toBeUndefined();
      expect(catalog.fields.filter((field) => field.type === 'secret').map((field) => field.name)).toEqual(
        credentials,
      );
      expect(
        catalog.fields.filter((field) => field.type === 'url').every((field) => field.name === 'url'),
      ).toBe(true);
      expect(catalog.userSuppliedUrl ?? false).toBe(selfHosted);
      expect(catalog.setupGuide.length).toBeGreaterThanOrEqual(4);
      expect(catalog.docsUrl).toMatch(/^https:\/\//);
      expect(catalog.freeTier.summary.length).toBeGreaterThan(20);
    },
  );
});
