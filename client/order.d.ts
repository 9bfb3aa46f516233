// Types for client/order.js: order keys for lists under merge patch.

/** Four base-62 digits ("0" and three random ones, the last never "0")
 * that end every key this client mints (one per page load by default);
 * two clients' suffixes keep their keys apart. */
export function newSuffix(random?: () => number): string;

/** A key that sorts strictly after a and before b (null for the list's
 * start or end), ending in suffix (this client's by default). Throws an
 * Error with code "invalid_key" for a key that is not an order key, or
 * when a is not before b. */
export function keyBetween(a: string | null, b: string | null, suffix?: string): string;

/** A list's [key, item] pairs in key order (plain string order). */
export function ordered<T>(list: { [key: string]: T } | null | undefined): [string, T][];
