/** Just enough XML for the Query protocol answers of IAM and STS. */

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** `<name>value</name>`; a string is escaped, an array holds already-rendered children; undefined renders nothing. */
export function el(name: string, value: string | number | boolean | string[] | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function members(items: string[][]): string[] {
  return items.map((children) => el('member', children));
}

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function queryResponse(action: string, namespace: string, requestId: string, result?: string[]): string {
  const resultXml = result === undefined ? '' : el(`${action}Result`, result);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">${resultXml}${el('ResponseMetadata', [el('RequestId', requestId)])}</${action}Response>`;
}

export function queryError(namespace: string, type: string, code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}">${el('Error', [el('Type', type), el('Code', code), el('Message', message)])}${el('RequestId', requestId)}</ErrorResponse>`;
}
