import { X509Certificate } from 'node:crypto';
import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { RolesanywhereProfile } from '@cdktf/provider-aws/lib/rolesanywhere-profile';
import { RolesanywhereTrustAnchor } from '@cdktf/provider-aws/lib/rolesanywhere-trust-anchor';
import type { PolicyStatement } from './policy-document';
import { type PropChecker, isUnresolved, PARTITION } from './prop-validation';

/** Callers with an X.509 certificate of your own PKI, through IAM Roles Anywhere. */
export interface X509TrustOptions {
  /**
   * ARN of an existing trust anchor (`arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<id>`).
   * Give this or `certificateBundle`.
   * @default - a trust anchor created from certificateBundle
   */
  readonly trustAnchorArn?: string;
  /**
   * The CA certificate(s) that issue your callers' certificates, PEM-encoded (at most 8,000
   * characters: CreateTrustAnchor's limit). Each must be a CA certificate (basic constraints
   * CA:TRUE). Creates an `aws_rolesanywhere_trust_anchor`.
   * @default - none: trustAnchorArn must be given
   */
  readonly certificateBundle?: string;
  /**
   * Common names (CN) of the end-entity certificates allowed, compared exactly with
   * `aws:PrincipalTag/x509Subject/CN` (the session tag Roles Anywhere sets from the subject).
   */
  readonly commonNames: string[];
  /**
   * Name of the created trust anchor (1 to 255 letters, digits, spaces, - and _).
   * @default - the role's name, with characters Roles Anywhere does not allow in names replaced by "-"
   */
  readonly trustAnchorName?: string;
  /**
   * Name of the Roles Anywhere profile that maps sessions to this role (same rule).
   * @default - the role's name, with characters Roles Anywhere does not allow in names replaced by "-"
   */
  readonly profileName?: string;
}

export interface RolesAnywhereTrustProps extends X509TrustOptions {
  /** ARN of the role the profile hands sessions of. */
  readonly roleArn: string;
  /** Name of that role: the default of the physical names. */
  readonly roleName: string;
}

/**
 * The Roles Anywhere side of an X.509 trust: the trust anchor (or an existing one) and a profile
 * whose only role is the FunctionInvokerRole that creates it (`trustedX509`). Its trust statement
 * lets Roles Anywhere assume the role for certificates of that anchor with an allowed CN. The props
 * are checked by the role (`checkX509Trust`), so errors name it.
 */
export class RolesAnywhereTrust extends Construct {
  readonly trustAnchorArn: string;
  readonly profileArn: string;
  readonly commonNames: readonly string[];

  constructor(scope: Construct, id: string, props: RolesAnywhereTrustProps) {
    super(sameConstructsCopy(scope), id);
    const defaultName = isUnresolved(props.roleName) ? props.roleName : props.roleName.replace(/[^ a-zA-Z0-9_-]/g, '-');
    this.commonNames = [...props.commonNames];
    if (props.trustAnchorArn !== undefined) {
      this.trustAnchorArn = props.trustAnchorArn;
    } else {
      const anchor = new RolesanywhereTrustAnchor(this, 'TrustAnchor', {
        name: props.trustAnchorName ?? defaultName,
        enabled: true,
        source: { sourceType: 'CERTIFICATE_BUNDLE', sourceData: { x509CertificateData: props.certificateBundle } },
      });
      this.trustAnchorArn = anchor.arn;
    }
    const profile = new RolesanywhereProfile(this, 'Profile', {
      name: props.profileName ?? defaultName,
      enabled: true,
      roleArns: [props.roleArn],
    });
    this.profileArn = profile.arn;
  }

  /**
   * What Roles Anywhere needs of the role's trust policy (IAM Roles Anywhere User Guide, "Trust
   * model"): `sts:AssumeRole`, `sts:TagSession` and `sts:SetSourceIdentity` for its service
   * principal, here only for this anchor (`aws:SourceArn`) and the allowed CNs. Without the anchor
   * condition, a certificate of any trust anchor in the account would do.
   */
  trustStatement(sid: string): PolicyStatement {
    return {
      Sid: sid,
      Effect: 'Allow',
      Principal: { Service: 'rolesanywhere.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Condition: {
        StringEquals: { 'aws:PrincipalTag/x509Subject/CN': this.commonNames.length === 1 ? this.commonNames[0] : [...this.commonNames] },
        ArnEquals: { 'aws:SourceArn': this.trustAnchorArn },
      },
    };
  }
}

const TRUST_ANCHOR_ARN = new RegExp(
  `^arn:${PARTITION}:rolesanywhere:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d:\\d{12}:trust-anchor/[0-9a-f-]{36}$`,
);
const ROLES_ANYWHERE_NAME = /^[ a-zA-Z0-9_-]+$/;

/** Checks `trustedX509` (prop names prefixed with `prop.`). */
export function checkX509Trust(check: PropChecker, prop: string, options: X509TrustOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    check.fail(prop, options, 'must be an object: { certificateBundle | trustAnchorArn, commonNames }');
  }
  const { trustAnchorArn, certificateBundle, commonNames } = options;
  if (trustAnchorArn === undefined && certificateBundle === undefined) {
    check.fail(
      `${prop}.trustAnchorArn`,
      undefined,
      'must be given, or certificateBundle (exactly one: the anchor whose certificates are trusted)',
    );
  }
  if (trustAnchorArn !== undefined && certificateBundle !== undefined) {
    check.fail(
      `${prop}.trustAnchorArn`,
      trustAnchorArn,
      'cannot be combined with certificateBundle: give exactly one (an existing anchor, or your CA for a new one)',
    );
  }
  if (
    trustAnchorArn !== undefined &&
    !isUnresolved(trustAnchorArn) &&
    (typeof trustAnchorArn !== 'string' || !TRUST_ANCHOR_ARN.test(trustAnchorArn))
  ) {
    check.fail(
      `${prop}.trustAnchorArn`,
      trustAnchorArn,
      'must be a trust anchor ARN: arn:<partition>:rolesanywhere:<region>:<12-digit account>:trust-anchor/<uuid>',
    );
  }
  if (certificateBundle !== undefined) {
    if (trustAnchorArn === undefined && options.trustAnchorName !== undefined)
      check.pattern(`${prop}.trustAnchorName`, options.trustAnchorName, ROLES_ANYWHERE_NAME, 1, 255, 'letters, digits, spaces, - and _');
    if (!isUnresolved(certificateBundle)) checkCaBundle(check, `${prop}.certificateBundle`, certificateBundle);
  } else if (options.trustAnchorName !== undefined) {
    check.fail(`${prop}.trustAnchorName`, options.trustAnchorName, 'has no effect with trustAnchorArn: the anchor exists already');
  }
  check.pattern(`${prop}.profileName`, options.profileName, ROLES_ANYWHERE_NAME, 1, 255, 'letters, digits, spaces, - and _');
  if (commonNames === undefined || (Array.isArray(commonNames) && commonNames.length === 0)) {
    check.fail(
      `${prop}.commonNames`,
      commonNames,
      'must name at least one certificate common name: without it every certificate of the anchor could assume the role',
    );
  }
  check.list(`${prop}.commonNames`, commonNames, '["payments-batch"]', 'a list of common names');
  if (commonNames.length > 50)
    check.fail(`${prop}.commonNames`, commonNames, 'may hold at most 50 names (a role trust policy holds 2,048 characters by default)');
  commonNames.forEach((name, index) => {
    if (typeof name !== 'string' || !/^[\u0020-\u007e]{1,64}$/.test(name) || name.includes('${')) {
      check.fail(`${prop}.commonNames[${index}]`, name, 'must be 1 to 64 printable characters (RFC 5280 ub-common-name) without "${"');
    }
    if (/[*?]/.test(name)) check.fail(`${prop}.commonNames[${index}]`, name, 'must be exact: common names are compared with StringEquals');
  });
}

function checkCaBundle(check: PropChecker, prop: string, pem: string): void {
  const blocks = typeof pem === 'string' ? (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) : [];
  if (typeof pem !== 'string' || blocks.length === 0 || pem.length > 8000) {
    check.fail(
      prop,
      typeof pem === 'string' ? `${pem.length} characters` : pem,
      'must be 1 to 8,000 characters of PEM certificates (-----BEGIN CERTIFICATE-----)',
    );
  }
  blocks.forEach((block, index) => {
    let certificate: X509Certificate | undefined;
    try {
      certificate = new X509Certificate(block);
    } catch {
      check.fail(`${prop} certificate ${index + 1}`, 'its PEM text', 'cannot be read as an X.509 certificate');
    }
    if (!certificate.ca)
      check.fail(
        `${prop} certificate ${index + 1}`,
        certificate.subject.replace(/\n/g, ', '),
        'must be a CA certificate (basic constraints CA:TRUE): Roles Anywhere trusts the certificates a CA issues, not a leaf certificate',
      );
  });
}
