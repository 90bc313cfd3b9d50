import { ApiError } from '../../domain/errors';

/** Errors of API keys and join links. Messages never echo a secret or a token. */
export const appsErrors = {
  notAdmin: () => new ApiError('NOT_ADMIN', 'Only an administrator (ADMIN_EMAILS) can manage API keys'),
  invalidApiKey: () => new ApiError('UNAUTHORIZED', 'Invalid API key (unknown or revoked)'),
  appsCannotJoin: (id: string) =>
    new ApiError('APPS_CANNOT_JOIN', `An API key cannot join meeting '${id}'; mint a join link for a person instead`),
  notAllowedForLink: () =>
    new ApiError('NOT_ALLOWED_FOR_LINK', 'A join-link session can only be used for the meeting of its link'),
  invalidLink: () => new ApiError('INVALID_LINK', 'This join link is not valid (expired, revoked, or not a link)'),
  notLinkMinter: (id: string, roles: string) =>
    new ApiError('NOT_HOST', `Only ${roles} of meeting '${id}' can create this join link`),
  linkNotFound: (id: string) => new ApiError('NOT_FOUND', `No join link '${id}' in this meeting`),
};
