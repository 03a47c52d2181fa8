// Where the CLI writes: results to stdout, notes and errors to stderr (main.ts
// gives the process's streams; tests pass their own).

export interface CliIO {
  /** One line (or block) of results: stdout. */
  out(text: string): void;
  /** Notes, warnings, errors: stderr. */
  err(text: string): void;
  /** Where the progress bar draws (only when it is a TTY). */
  progressStream: NodeJS.WriteStream;
}
