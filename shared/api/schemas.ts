import * as z from 'zod';

/** RFC 9457 problem document as Vigil returns it for every error. */
export const problemSchema = z
  .object({
    type: z.string().describe('URI identifying the problem type'),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable error code'),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string() }))
      .optional()
      .describe('Field-level validation errors'),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;
