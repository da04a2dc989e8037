import { SingleBar } from "cli-progress";

/** A progress report for long work: a bar on a terminal, nothing otherwise (pipes, CI, tests). */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** A progress bar on stderr when it is a terminal (cli-progress), else a no-op. */
export function progress(interactive: boolean, label: string, total: number): Progress {
  if (!interactive || total <= 0) return SILENT;
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total}`, stream: process.stderr, hideCursor: true, clearOnComplete: true });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
