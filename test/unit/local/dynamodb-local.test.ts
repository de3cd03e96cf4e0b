import { afterEach, describe, expect, it } from 'vitest';
import { assertJava, JavaMissingError } from '../../../infra/local/dynamodb-local';

describe('DynamoDB Local prerequisites', () => {
  const original = process.env.JAVA_HOME;
  afterEach(() => {
    if (original === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = original;
  });

  it('explains how to fix a missing Java instead of failing obscurely', () => {
    process.env.JAVA_HOME = '/nonexistent/jdk';

    let error: unknown;
    try {
      assertJava();
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(JavaMissingError);
    expect((error as Error).message).toMatch(/Java 17/);
    expect((error as Error).message).toMatch(/apt-get install openjdk-17-jre-headless|JAVA_HOME/);
  });

  it('accepts the Java on this machine', () => {
    delete process.env.JAVA_HOME;

    expect(() => assertJava()).not.toThrow();
  });
});
