/**
 * Resident satisfaction surveys (docs/contract.md §5): uploads checked whole and stored in the
 * `survey` measurement, and the per-wave summary with its gain over a baseline wave.
 */
export {
  checkSurveyUpload,
  describeIssues,
  NO_BUILDING,
  SATISFIED_FROM,
  SCORE_MAX,
  SCORE_MIN,
  SURVEY_MEASUREMENT,
  WAVE_PATTERN,
  type RawAnswer,
  type RowIssue,
  type SurveySite,
  type SurveyUpload,
} from './upload.ts';
export {
  summariseSurveys,
  type StoredAnswer,
  type SummaryInput,
  type SurveySummary,
  type WaveSummary,
} from './summary.ts';
export { readSurveySummary, storeSurveyUpload, type SurveyUploadResult, type SurveyWriteDeps } from './store.ts';
