/**
 * `GET /api/v1/sites/{site}/reports` (kept reports, with when and why each was last built:
 * docs/contract.md §5, §6) and `…/reports/{id}` where id is `<kind>-<date>`, optionally ending in
 * `.json`, `.md`, `.html` or `.pdf`; without an extension the `Accept` header picks (text/html,
 * text/markdown, application/pdf, else JSON). `?lang=zh-CN|en` renders the Markdown or HTML in
 * that language from the kept JSON (docs/contract.md §5, "Languages": the JSON is
 * language-neutral, so it holds everything either language needs); without it the kept file, in
 * `report.language`. The PDF is printed in `report.language` only.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../errors.ts';
import { siteOf, type PeriodKind } from '../../kpi/index.ts';
import {
  listReports,
  reportPath,
  renderReport,
  REPORT_LANGUAGES,
  REPORT_VERSION,
  type ReportData,
  type ReportFormat,
  type ReportLanguage,
  type StoredFormat,
} from '../../report/index.ts';
import { SECURED, type RouteOptions } from './options.ts';
import { siteParams } from './sites.ts';

const ID = /^(day|week|month|quarter|year)-(\d{4}-\d{2}-\d{2})(?:\.(json|md|html|pdf))?$/;
const TYPES: Record<StoredFormat, string> = {
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};
const ACCEPTED: Array<[string, StoredFormat]> = [
  ['text/html', 'html'],
  ['text/markdown', 'md'],
  ['application/pdf', 'pdf'],
];

/** The format `Accept` asks for (the first of html, markdown, pdf it names; JSON by default). */
function fromAccept(accept: string | undefined): StoredFormat {
  const a = (accept ?? '').toLowerCase();
  let best: [number, StoredFormat] = [Infinity, 'json'];
  for (const [type, format] of ACCEPTED) {
    const at = a.indexOf(type);
    if (at >= 0 && at < best[0]) best = [at, format];
  }
  return best[1];
}

/** The kept JSON at `path` rendered as `format` in `lang`; 404 when missing or of another REPORT_VERSION. */
async function rendered(
  path: string | undefined,
  format: ReportFormat,
  lang: ReportLanguage,
  id: string,
): Promise<string> {
  if (!path) throw new HubError('HUB_ERR_NOT_FOUND', `no json report ${id} to render in ${lang}`);
  const data = JSON.parse(await readFile(path, 'utf8')) as Partial<ReportData>;
  if (data.version !== REPORT_VERSION) {
    throw new HubError(
      'HUB_ERR_NOT_FOUND',
      `report ${id} is of version ${String(data.version)}, not ${REPORT_VERSION}: it cannot be rendered in ${lang}; build it again with \`community-hub report\``,
    );
  }
  return renderReport(data as ReportData, format, { lang });
}

export const reportRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { inventory, config } = deps;

  app.get(
    '/api/v1/sites/:site/reports',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary: 'Kept reports of a site, newest first',
        tags: ['reports'],
        security: SECURED,
        params: siteParams,
      },
    },
    async (req) => {
      const site = siteOf(inventory, req.params.site);
      const entries = await listReports(config.dataDir, site.id);
      return {
        site: site.id,
        reports: entries.map((e) => ({
          id: `${e.kind}-${e.date}`,
          period: e.kind,
          date: e.date,
          formats: e.formats,
          // When and why it was last built; null for a report kept by an older hub.
          builtAt: e.meta?.builtAt ?? null,
          trigger: e.meta?.trigger ?? null,
          rebuiltAfterLateData: (e.meta?.lateRebuilds ?? 0) > 0,
          links: Object.fromEntries(
            e.formats.map((f) => [f, `/api/v1/sites/${site.id}/reports/${e.kind}-${e.date}.${f}`]),
          ),
        })),
      };
    },
  );

  app.get(
    '/api/v1/sites/:site/reports/:id',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary: 'One report as JSON, Markdown, HTML or PDF (extension .json/.md/.html/.pdf, else the Accept header)',
        tags: ['reports'],
        security: SECURED,
        params: siteParams.extend({
          id: z
            .string()
            .regex(ID, 'must be <day|week|month|quarter|year>-<YYYY-MM-DD>, optionally with .json, .md, .html or .pdf'),
        }),
        querystring: z.object({
          lang: z
            .enum(REPORT_LANGUAGES)
            .optional()
            .describe(
              'Language of the Markdown or HTML, rendered from the kept JSON; default: the kept file (report.language)',
            ),
        }),
      },
    },
    async (req, reply) => {
      const site = siteOf(inventory, req.params.site);
      const m = ID.exec(req.params.id)!;
      const [, kind, date, ext] = m;
      const format: StoredFormat = (ext as StoredFormat | undefined) ?? fromAccept(req.headers.accept);
      const at = (f: StoredFormat): Promise<string | undefined> =>
        reportPath(config.dataDir, site.id, kind as PeriodKind, date!, f);
      const lang = req.query.lang;
      if (lang !== undefined && format === 'pdf' && lang !== config.report.language) {
        throw new HubError(
          'HUB_ERR_NOT_FOUND',
          `report PDFs are printed in report.language (${config.report.language}) only: ask for the HTML with ?lang=${lang}`,
        );
      }
      if (lang !== undefined && format !== 'json' && format !== 'pdf') {
        return reply.type(TYPES[format]).send(await rendered(await at('json'), format, lang, `${kind}-${date}`));
      }
      const path = await at(format);
      if (!path) throw new HubError('HUB_ERR_NOT_FOUND', `no ${format} report ${kind}-${date} for site "${site.id}"`);
      return reply.type(TYPES[format]).send(format === 'pdf' ? await readFile(path) : await readFile(path, 'utf8'));
    },
  );
};
