import type { Progress } from '../../protocol/engine.js';
import { formatBytes } from '../../protocol/units.js';
import { formatDuration } from './format.js';

/** One terminal line: bar, percent, files, bytes, rate and ETA, cut to `width` columns. */
export function progressLine(progress: Progress, width: number): string {
  const ratio = progress.bytesTotal > 0 ? Math.min(1, progress.bytesDone / progress.bytesTotal)
    : progress.filesTotal > 0 ? progress.filesDone / progress.filesTotal : 1;
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  const files = `${progress.filesDone}/${progress.filesTotal} files`;
  const bytes = `${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`;
  const rate = `${formatBytes(progress.rate)}/s`;
  const eta = `ETA ${formatDuration(progress.eta)}`;
  const text = ` ${percent}  ${files}  ${bytes}  ${rate}  ${eta}`;
  const barWidth = Math.max(10, Math.min(40, width - text.length - 2));
  const filled = Math.round(ratio * barWidth);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${text}`;
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}
