/* SPDX-License-Identifier: MIT */
/*
 * The two tables that turn a status into a wire answer: enum st to HTTP
 * status (every route), and enum st to RFC 6749 error codes (the token
 * endpoints). Handlers never pick a failure status themselves.
 */
#include "api_int.h"

static const int http_status[ST__COUNT] = {
    [ST_OK] = 200,
    [ST_INVALID] = 400,
    [ST_UNPROCESSABLE] = 422,
    [ST_NOT_FOUND] = 404,
    [ST_CONFLICT] = 409,
    [ST_FORBIDDEN] = 403,
    [ST_UNAUTHORIZED] = 401,
    [ST_METHOD] = 405,
    [ST_UNSUPPORTED_MEDIA] = 415,
    [ST_TOO_LARGE] = 413,
    [ST_PRECONDITION] = 412,
    [ST_RATE_LIMITED] = 429,
    [ST_NOT_IMPLEMENTED] = 501,
    [ST_STORAGE] = 503,
    [ST_INTERNAL] = 500,
};

static const char *const oauth_code[ST__COUNT] = {
    [ST_INVALID] = OAUTH_ERR_INVALID_REQUEST,
    [ST_UNPROCESSABLE] = OAUTH_ERR_INVALID_REQUEST,
    [ST_UNSUPPORTED_MEDIA] = OAUTH_ERR_INVALID_REQUEST,
    [ST_TOO_LARGE] = OAUTH_ERR_INVALID_REQUEST,
    [ST_UNAUTHORIZED] = OAUTH_ERR_INVALID_CLIENT,
    [ST_FORBIDDEN] = OAUTH_ERR_UNAUTHORIZED_CLIENT,
    [ST_RATE_LIMITED] = OAUTH_ERR_TEMPORARILY_UNAVAILABLE,
};

int api_status_of(enum st st)
{
    if ((unsigned)st >= ST__COUNT)
        return 500;
    return http_status[st];
}

const char *api_oauth_error_of(enum st st)
{
    if ((unsigned)st >= ST__COUNT || !oauth_code[st])
        return OAUTH_ERR_SERVER_ERROR;
    return oauth_code[st];
}

const char *api_reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}
