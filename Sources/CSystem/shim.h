#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <netinet/tcp.h>

/* accept4(2) is declared only under _GNU_SOURCE, which Swift's Glibc module is built without. */
struct sockaddr;
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/* Thread naming is a GNU extension too; the loops name their threads so `top -H` shows which one is busy. */
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
extern int pthread_getname_np(pthread_t thread, char *name, size_t length);

/* memmem(3), a GNU extension: the benchmark's WebSocket reader finds the end of a handshake with it. */
#include <stddef.h>
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* gettid(2), a GNU extension: a thread's own nice value is set through its task id. */
#include <sys/types.h>
extern pid_t gettid(void);

/* malloc_trim(3), a glibc extension: the server hands freed heap back after a projection rebuild. */
#include <malloc.h>
