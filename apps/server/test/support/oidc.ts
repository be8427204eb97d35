// The provider's code flow over plain HTTP lives in @authlab/testkit: the clients' tests use it too.
export { type AuthorizeOptions, authorize, DESKTOP, followToClient, pkcePair, tokenRequest } from '@authlab/testkit';
