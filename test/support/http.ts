/** Loosely typed JSON for assertions on API responses (the assertions themselves check the shape). */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary response bodies.
export type Json = any;

export async function json(res: Response): Promise<Json> {
  return res.json();
}
