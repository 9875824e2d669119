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
