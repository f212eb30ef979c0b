import { AwsError } from './aws-error';

/**
 * Reading parameters of the Query protocol (IAM, STS): `Name=value` pairs from a form body or a
 * query string, lists as `Name.member.N`. Errors carry AWS's wording: "1 validation error
 * detected: Value … at 'field' failed to satisfy constraint: …", the field in lower camel case.
 */

/** `RoleName` -> `roleName`: how AWS names a parameter in a validation message. */
export function fieldName(parameter: string): string {
  return parameter.charAt(0).toLowerCase() + parameter.slice(1);
}

/** A parameter that must be present and non-empty. */
export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '')
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${fieldName(name)}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

/**
 * A whole-number parameter within AWS's range, or AWS's ValidationError naming the field, the
 * value and the bound. Strict digits: Number() would take "1e3", "0x10" or " 3600 ".
 */
export function integerParameter(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const field = fieldName(name);
  if (!/^-?\d{1,15}$/.test(text))
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${text}' at '${field}' failed to satisfy constraint: Member must be a whole number from ${min} to ${max}`,
    );
  const value = Number(text);
  if (value < min)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${text}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  if (value > max)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${text}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  return value;
}

/** `Name.member.N` values of a list parameter, in order. */
export function listParameter(params: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) values.push(params.get(`${name}.member.${i}`)!);
  return values;
}

/** `Tags.member.N.Key` / `.Value` pairs, in order (a missing Value is ""). */
export function tagParameters(params: URLSearchParams): { Key: string; Value: string }[] {
  const tags: { Key: string; Value: string }[] = [];
  for (let i = 1; params.has(`Tags.member.${i}.Key`); i++)
    tags.push({ Key: params.get(`Tags.member.${i}.Key`)!, Value: params.get(`Tags.member.${i}.Value`) ?? '' });
  return tags;
}
