import { CredentialVendor, type CredentialVendorProps, IamFunctionUrl } from '../../constructs';
import { ACCOUNT, REGION, type SynthesizedStack, synthStack } from './synthesized-stack';

export const PARTNER_ROLE = `arn:aws:iam::${ACCOUNT}:role/partner-batch`;
export const AUDITOR_USER = `arn:aws:iam::${ACCOUNT}:user/auditor`;

/** A stack with two protected URLs (orders, reports) and a vendor entitling two callers. */
export function vendorStack(
  configure: (urls: { orders: IamFunctionUrl; reports: IamFunctionUrl }) => Partial<CredentialVendorProps> = () => ({}),
): SynthesizedStack {
  return synthStack((stack) => {
    const orders = new IamFunctionUrl(stack, 'Orders', { function: 'orders' });
    const reports = new IamFunctionUrl(stack, 'Reports', { function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reports:live` });
    new CredentialVendor(stack, 'Vendor', {
      entitlements: [
        { caller: PARTNER_ROLE, functionUrls: [orders], maxSessionDuration: 900, sessionTags: { tenant: 'partner' } },
        { caller: AUDITOR_USER, functionUrls: [orders, reports] },
      ],
      ...configure({ orders, reports }),
    });
  });
}
