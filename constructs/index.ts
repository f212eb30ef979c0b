// First: a missing framework or provider is named, with the command that installs it.
export { MissingFrameworkError } from './framework-check';
export { DuplicateConstructsError } from './constructs-copy';
export * from './iam-function-url';
export * from './function-invoker-role';
export type { FunctionUrlInvokeGrant, InvokeGrantee } from './invoke-grant';
export * from './invoker-user';
export type { SourceNetworkOptions } from './source-network';
export { WebIdentityTrust, GITHUB_ACTIONS_ISSUER } from './web-identity-trust';
export type { BoundWebIdentityTrust, GitHubActionsTrustOptions, OidcTrustOptions, WebIdentityProviderOptions } from './web-identity-trust';
export type { X509TrustOptions } from './roles-anywhere-trust';
export * from './protected-function-url';
export * from './policy-document';
export { InvalidPropError } from './prop-validation';
export { CREDENTIAL_VENDOR_OUTPUTS, CredentialVendor, VENDOR_RUNTIMES, VendRole, vendRoleTrustPolicy } from './credential-vendor';
export type { CredentialVendorProps, VendEntitlement } from './credential-vendor';
