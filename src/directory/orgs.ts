import type { Em } from '../db/orm.ts';
import { Organization } from '../db/entities/index.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { recordAudit } from './audit.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from './errors.ts';
import type { Actor, RequestOrigin } from './scope.ts';

export interface OrgInput {
  slug: string;
  name: string;
}

export interface OrgView {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Slugs appear in URLs (/saml/:org, /api/orgs/:org): lower-case DNS-label rules. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateOrgInput(input: Partial<OrgInput>): OrgInput {
  const problems: FieldProblem[] = [];
  const slug = typeof input.slug === 'string' ? input.slug.trim() : '';
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!slug) problems.push({ field: 'slug', reason: 'is required' });
  else if (!SLUG.test(slug))
    problems.push({
      field: 'slug',
      reason: 'must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen',
    });
  if (!name) problems.push({ field: 'name', reason: 'is required' });
  else if (name.length > 200) problems.push({ field: 'name', reason: 'must be at most 200 characters' });
  if (problems.length) throw new ValidationError(problems);
  return { slug, name };
}

export function toOrgView(org: Organization): OrgView {
  return { id: org.id, slug: org.slug, name: org.name, createdAt: org.createdAt, updatedAt: org.updatedAt };
}

export async function createOrg(em: Em, actor: Actor, input: Partial<OrgInput>, origin: RequestOrigin = {}): Promise<Organization> {
  const valid = validateOrgInput(input);
  try {
    return await em.transactional(async (tx) => {
      const org = tx.create(Organization, { slug: valid.slug, name: valid.name, settings: {} });
      await tx.flush();
      recordAudit(tx, { ...origin, orgId: org.id, orgSlug: org.slug, actor }, {
        action: 'org.created',
        target: { type: 'org', id: org.id, label: org.slug },
        details: { name: org.name },
      });
      return org;
    });
  } catch (error) {
    if (uniqueViolationField(error) === 'slug') {
      throw new ConflictError('slug', `An organization with slug "${valid.slug}" already exists`);
    }
    throw error;
  }
}

export async function findOrgBySlug(em: Em, slug: string): Promise<Organization | null> {
  return em.findOne(Organization, { slug });
}

export async function getOrgBySlug(em: Em, slug: string): Promise<Organization> {
  const org = await findOrgBySlug(em, slug);
  if (!org) throw new NotFoundError('Organization', slug);
  return org;
}

export async function listOrgs(em: Em): Promise<Organization[]> {
  return em.find(Organization, {}, { orderBy: { slug: 'asc' } });
}

export async function countOrgs(em: Em): Promise<number> {
  return em.count(Organization, {});
}
