/**
 * `POST /api/v1/sites/{site}/surveys` (admin: upload a survey wave's answers) and `GET …/surveys`
 * (the per-wave summary): docs/contract.md §5 "Resident satisfaction surveys", §6.
 *
 * An upload is all or nothing: bad rows answer 422 `HUB_ERR_VALIDATION` naming each by position
 * (`responses[3]`), and nothing is stored. The log records the site, wave and counts only: a
 * household id never reaches it (docs/contract.md §3).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WAVE_PATTERN } from '../../config/inventory.ts';
import { readSurveySummary, storeSurveyUpload, describeIssues } from '../../kpi/index.ts';
import { createPseudonymiser } from '../../pseudonym.ts';
import { SECURED, type RouteOptions } from './options.ts';
import { siteParams } from './sites.ts';

const uploadBody = z.object({
  wave: z.string().regex(WAVE_PATTERN, 'must be a wave name such as 2026-Q3'),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  // Rows are checked by the upload (scores, households, repeats) so that every bad one is named
  // with its position in one 422, rather than the first type error as a 400.
  responses: z
    .array(z.object({ household: z.unknown().optional(), score: z.unknown().optional() }))
    .min(1, 'must hold at least one answer'),
});

export const surveyRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { inventory } = deps;
  const now = deps.now ?? Date.now;
  const pseudonymise = createPseudonymiser(deps.config.pseudonymKey);
  // Uploads of one site and wave run one after another: the wave's date is checked against what is
  // stored, so two first uploads with different dates must not both pass the check and land at two
  // times (docs/contract.md §5: a wave has one date). Another process (survey import) is not held.
  const queues = new Map<string, Promise<unknown>>();
  function serialised<T>(key: string, run: () => Promise<T>): Promise<T> {
    const turn = (queues.get(key) ?? Promise.resolve()).then(run, run);
    const settled = turn.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return turn;
  }

  app.post(
    '/api/v1/sites/:site/surveys',
    {
      onRequest: keys.require('admin'),
      schema: {
        summary:
          'Upload answers of a survey wave (admin key): all or nothing; a household answering again in the same wave replaces its answer',
        tags: ['surveys'],
        security: SECURED,
        params: siteParams,
        body: uploadBody,
      },
    },
    async (req, reply) => {
      const result = await serialised(`${req.params.site}\u0000${req.body.wave}`, () =>
        storeSurveyUpload(
          { conn: deps.conn, writer: deps.writer, inventory, pseudonymise, now },
          { site: req.params.site, ...req.body },
        ),
      );
      const fields = { site: req.params.site, wave: req.body.wave, rows: req.body.responses.length };
      if (!result.stored) {
        req.log.info({ ...fields, bad: result.rows.map((r) => r.index) }, 'survey upload refused');
        const rows = describeIssues(result.rows, (i) => `responses[${i}]`);
        return reply.code(422).send({
          error: {
            code: 'HUB_ERR_VALIDATION',
            message: rows === '' ? result.message : `${result.message}: ${rows}`,
            rows: result.rows,
          },
        });
      }
      req.log.info({ ...fields, buildings: result.buildings }, 'survey upload stored');
      return result;
    },
  );

  app.get(
    '/api/v1/sites/:site/surveys',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary:
          'Survey waves of a site by date: responses, respondents, response rate, satisfaction rate (score ≥ 4) and gain over the baseline wave',
        tags: ['surveys'],
        security: SECURED,
        params: siteParams,
      },
    },
    async (req) =>
      readSurveySummary(deps.conn, inventory, req.params.site, deps.config.evaluation.targets.satisfactionGain),
  );
};
