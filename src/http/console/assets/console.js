// The console's progressive enhancement: each module wires the elements that
// carry its data- attributes, so a page opts in by markup alone.
import { wireApiForms } from './js/api-forms.js';
import { wireSelection } from './js/selection.js';
import { wireCopyButtons } from './js/copy.js';
import { wirePickers } from './js/person-memberships.js';
import { wireBulkReports } from './js/person-bulk.js';
import { wireTypedConfirmations } from './js/person-delete.js';
import { wireInvite } from './js/invite.js';
import { wireSsoMetadata } from './js/sso-metadata.js';
import { wireTokenSecrets } from './js/token-secret.js';
import { wireGroupMembers } from './js/groups-members.js';
import { wireImportUpload } from './js/import-upload.js';
import { wireImportProgress } from './js/import-progress.js';
import { restoreDrafts } from './js/drafts.js';

wireApiForms(document);
wireSelection(document);
wireCopyButtons(document);
wirePickers(document);
wireBulkReports(document);
wireTypedConfirmations(document);
wireInvite(document);
wireSsoMetadata(document);
wireTokenSecrets(document);
wireGroupMembers(document);
wireImportUpload(document);
wireImportProgress(document);
// Last: what was typed before signing in again goes back into fields the modules above now watch.
restoreDrafts();
