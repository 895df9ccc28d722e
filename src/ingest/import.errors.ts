import { AppError } from '../errors';

/**
 * 400 for a CSV Plaza will not import. The message names the row (the header is row 1) and the
 * column and the rule broken; it never quotes a cell, because imports are usually private data.
 */
export class ImportInputError extends AppError {
  constructor(message: string, details: { row?: number; column?: number | string; rule: string; [k: string]: unknown }) {
    super(400, 'invalid_csv', message, details);
  }
}
