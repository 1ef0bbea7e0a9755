import { AppError } from '../errors/app-error.ts';
import { passwordProblem } from './password.ts';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * User names: 1–128 characters, no control characters, no ':' (Basic credentials split
 * `user@org:password` at the first ':', spec §3.1) and no surrounding spaces. '@' is allowed: the
 * org is taken after the last '@'. Unique per org, case-insensitively.
 */
export function checkUsername(username: string): string {
  if (username.length < 1 || username.length > 128 || CONTROL_CHARS.test(username) || username.includes(':') || username.trim() !== username) {
    throw new AppError('VALIDATION_FAILED', { message: 'username must be 1 to 128 printable characters without ":" or surrounding spaces.' });
  }
  return username;
}

/** Free-text fields (full name, description, e-mail): bounded, no control characters. */
export function checkText(field: string, value: string, max: number): string {
  if (value.length > max || CONTROL_CHARS.test(value.replace(/[\n\r\t]/g, ' '))) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be at most ${max} printable characters.` });
  }
  return value;
}

export function checkPassword(password: string): string {
  const problem = passwordProblem(password);
  if (problem) throw new AppError('VALIDATION_FAILED', { message: problem });
  return password;
}

export function checkQuota(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 1_000_000) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be a whole number from 0 (unlimited) to 1000000.` });
  }
  return value;
}
