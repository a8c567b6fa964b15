import { attr, column, str } from './common.ts';
import type { SchemaDef } from './types.ts';

export const enterpriseUserSchemaId = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** RFC 7643 §4.3 and §8.7.1: the enterprise User extension; every attribute has its own column. */
export const enterpriseUserSchema: SchemaDef = {
  id: enterpriseUserSchemaId,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person by the organization.', column('employee_number')),
    str('costCenter', 'Identifies the name of a cost center.', column('cost_center')),
    str('organization', 'Identifies the name of an organization.', column('organization')),
    str('division', 'Identifies the name of a division.', column('division')),
    str('department', 'Identifies the name of a department.', column('department')),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        // Stored as given (users.manager_id); filters see it only while it names a live user of the org.
        str('value', 'The id of the SCIM resource representing the User\'s manager.', { kind: 'manager', key: 'value' }),
        attr('$ref', 'reference', 'The URI of the SCIM resource representing the User\'s manager.', {
          referenceTypes: ['User'],
        }),
        // RFC 7643 §4.3: filled in by the service provider, from the manager as they are now.
        str('displayName', "The displayName of the User's manager.", { kind: 'manager', key: 'displayName' }, {
          mutability: 'readOnly',
        }),
      ],
    }),
  ],
};
