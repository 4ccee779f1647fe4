/** How the CLI prints: JSON, one value per line when piped, indented on a terminal. */

export function printJson(value: unknown, out: NodeJS.WriteStream = process.stdout): void {
  out.write(`${out.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

/** A problem or an error, on stderr: the problem as JSON when piped, a sentence on a terminal. */
export function printError(value: unknown, err: NodeJS.WriteStream = process.stderr): void {
  if (typeof value === 'string') err.write(`longrun: ${value}\n`);
  else printJson(value, err);
}
