/**
 * Every integration test starts as a freshly started n8n process would: no alert memory held in this
 * process from an earlier test (static data, passed explicitly, is what carries state between runs).
 */
import { forgetProcessAlertStates } from '../../nodes/shared/diagnose/alertLedger.adapter';

beforeEach(() => forgetProcessAlertStates());
