export { validatePhone, validatePostcode, validateEmail } from './contact.validator.js';
export { validateDivisionCode } from './division-code.validator.js';
export { InvalidIdentifierError, type IdentifierFault, type IdentifierKind } from './identifiers.errors.js';
export { residentIdCheckCharacter, validateResidentId } from './resident-id.validator.js';
export { isSoleTraderUscc, usccCheckCharacter, validateUscc } from './uscc.validator.js';
