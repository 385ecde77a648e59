/*
 * net/http_int.h — private to net/http*.c: the shared http-parser callback table.
 */
#ifndef LC_NET_HTTP_INT_H
#define LC_NET_HTTP_INT_H

#include <http_parser.h>

const http_parser_settings *net_http_settings(void);

#endif
