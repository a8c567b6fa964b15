// The console's progressive enhancement: each module wires the elements that
// carry its data- attributes, so a page opts in by markup alone.
import { wireApiForms } from './js/api-forms.js';
import { wireSelection } from './js/selection.js';
import { wireCopyButtons } from './js/copy.js';

wireApiForms(document);
wireSelection(document);
wireCopyButtons(document);
