export { sha256 } from '../../src/common/crypto';
