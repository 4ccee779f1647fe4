/** The bench's progress lines, on stdout beside the table. */
export const log = (message: string): void => console.log(`[bench] ${message}`);
