/*
 * Private libibverbs provider ABI, IBVERBS_PRIVATE_34 (rdma-core 44).
 *
 * Debian does not ship <infiniband/driver.h>, so the parts of the provider
 * interface that pinrxe needs are declared here.  libibverbs only offers
 * this interface to providers built against the very same release; every
 * structure below is therefore shared memory layout with libibverbs.so.1
 * (44.0) and must not be changed.  New libibverbs private ABIs bump the
 * PRIVATE_NN number and the provider file name suffix together.
 *
 * Layouts were taken from rdma-core 44 and cross-checked against the
 * field offsets used by the installed libibverbs.so.1; the static asserts
 * at the end of this file record those offsets (LP64 only).
 */

#ifndef PINRXE_VERBS_DRIVER_ABI_H
#define PINRXE_VERBS_DRIVER_ABI_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>		/* struct ib_uverbs_* (kernel uapi) */
#include <rdma/ib_user_ioctl_verbs.h>	/* enum rdma_driver_id */

/* Provider ABI number: symbol version IBVERBS_PRIVATE_34, file lib*-rdmav34.so */
#define VERBS_PABI_VERSION 34

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Same layout as ccan's struct list_node used inside libibverbs. */
struct verbs_list_node {
	struct verbs_list_node *next;
	struct verbs_list_node *prev;
};

/*
 * A memory region as libibverbs sees it: the provider allocates it, and
 * libibverbs reads mr_type (ibv_dereg_mr, ibv_rereg_mr) and fills
 * mr_type and access in the ibv_cmd_*_mr helpers.
 */
enum ibv_mr_type {
	IBV_MR_TYPE_MR,
	IBV_MR_TYPE_NULL_MR,
	IBV_MR_TYPE_IMPORTED_MR,
	IBV_MR_TYPE_DMABUF_MR,
};

struct verbs_mr {
	struct ibv_mr ibv_mr;
	enum ibv_mr_type mr_type;
	int access;
};

static inline struct verbs_mr *verbs_get_mr(struct ibv_mr *mr)
{
	return container_of(mr, struct verbs_mr, ibv_mr);
}

/*
 * Device match table.  A table is terminated by an all-zero entry
 * (kind == VERBS_MATCH_SENTINEL).
 */
enum {
	VERBS_MATCH_SENTINEL	= 0,
	VERBS_MATCH_PCI		= 1,
	VERBS_MATCH_MODALIAS	= 2,
	VERBS_MATCH_DRIVER_ID	= 3,
};

struct verbs_match_ent {
	void *driver_data;
	union {
		const char *modalias;	/* fnmatch() pattern */
		uint64_t driver_id;	/* enum rdma_driver_id */
	} u;
	uint16_t vendor;
	uint16_t device;
	uint8_t kind;
};

/* Match on the kernel's RDMA driver id (netlink/sysfs driver_id). */
#define VERBS_DRIVER_ID(_id)						\
	{ .u.driver_id = (_id), .kind = VERBS_MATCH_DRIVER_ID }

/* Match a PCI vendor/device id against the parent's modalias. */
#define VERBS_PCI_MATCH(_vendor, _device, _data)			\
	{								\
		.driver_data = (void *)(_data),				\
		.vendor = (_vendor),					\
		.device = (_device),					\
		.kind = VERBS_MATCH_PCI,				\
	}

/* Match an fnmatch() pattern against the parent device's modalias. */
#define VERBS_MODALIAS_MATCH(_mod_str, _data)				\
	{								\
		.driver_data = (void *)(_data),				\
		.u.modalias = (_mod_str),				\
		.kind = VERBS_MATCH_MODALIAS,				\
	}

/*
 * Match on the ib device name.  libibverbs builds the string
 * "rdma_device:N<ibdev name>" for every device and runs it through the
 * modalias matcher, so this is a name-prefix match.
 */
#define VERBS_NAME_MATCH(_name_prefix, _data)				\
	{								\
		.driver_data = (_data),					\
		.u.modalias = "rdma_device:*N" _name_prefix "*",	\
		.kind = VERBS_MATCH_MODALIAS,				\
	}

/* verbs_sysfs_dev.flags */
enum {
	VSYSFS_READ_MODALIAS	= 1 << 0,
	VSYSFS_READ_NODE_GUID	= 1 << 1,
};

/*
 * One RDMA device as discovered by libibverbs (netlink or sysfs).  Allocated
 * and owned by libibverbs; providers only read it.
 */
struct verbs_sysfs_dev {
	struct verbs_list_node entry;
	void *provider_data;
	const struct verbs_match_ent *match;	/* table entry that matched */
	unsigned int flags;
	char sysfs_name[IBV_SYSFS_NAME_MAX];	/* uverbsN */
	dev_t sysfs_cdev;
	char ibdev_name[IBV_SYSFS_NAME_MAX];
	char ibdev_path[IBV_SYSFS_PATH_MAX];
	char modalias[512];
	uint64_t node_guid;
	uint32_t driver_id;			/* enum rdma_driver_id */
	enum ibv_node_type node_type;
	int ibdev_idx;
	uint32_t num_ports;
	uint32_t abi_ver;			/* uverbsN/abi_version */
	struct timespec time_created;
};

/* What a provider hands to verbs_register_driver(). */
struct verbs_device_ops {
	const char *name;

	/* Accepted range of the per-device uverbs ABI (sysfs_dev->abi_ver). */
	uint32_t match_min_abi_version;
	uint32_t match_max_abi_version;
	const struct verbs_match_ent *match_table;
	const struct verbs_device_ops **static_providers;

	/* Optional; called after the table match, may veto it. */
	bool (*match_device)(struct verbs_sysfs_dev *sysfs_dev);

	struct verbs_context *(*alloc_context)(struct ibv_device *device,
					       int cmd_fd,
					       void *private_data);
	struct verbs_context *(*import_context)(struct ibv_device *device,
						int cmd_fd);

	struct verbs_device *(*alloc_device)(struct verbs_sysfs_dev *sysfs_dev);
	void (*uninit_device)(struct verbs_device *device);
};

/*
 * Provider device.  The provider allocates it (usually embedded at the start
 * of its own device struct) in alloc_device(); libibverbs fills in everything
 * after 'device' itself.
 */
struct verbs_device {
	struct ibv_device device;	/* must stay first */
	const struct verbs_device_ops *ops;
	atomic_int refcount;
	struct verbs_list_node entry;
	struct verbs_sysfs_dev *sysfs;
	uint64_t core_support;
};

static inline struct verbs_device *
verbs_get_device(const struct ibv_device *dev)
{
	return container_of(dev, struct verbs_device, device);
}

/*
 * Every operation a provider may implement, one pointer per op, in the
 * alphabetical order used by rdma-core 44.  verbs_set_ops() copies the
 * non-NULL members one by one by field offset, so the complete member list
 * and its order are ABI; members a provider leaves NULL keep libibverbs'
 * default (which fails with EOPNOTSUPP/ENOSYS).
 */
struct verbs_context_ops {
	int (*advise_mr)(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			 uint32_t flags, struct ibv_sge *sg_list,
			 uint32_t num_sges);
	struct ibv_dm *(*alloc_dm)(struct ibv_context *context,
				   struct ibv_alloc_dm_attr *attr);
	struct ibv_mw *(*alloc_mw)(struct ibv_pd *pd, enum ibv_mw_type type);
	struct ibv_mr *(*alloc_null_mr)(struct ibv_pd *pd);
	struct ibv_pd *(*alloc_parent_domain)(
		struct ibv_context *context,
		struct ibv_parent_domain_init_attr *attr);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *context);
	struct ibv_td *(*alloc_td)(struct ibv_context *context,
				   struct ibv_td_init_attr *init_attr);
	void (*async_event)(struct ibv_context *context,
			    struct ibv_async_event *event);
	int (*attach_counters_point_flow)(struct ibv_counters *counters,
					  struct ibv_counter_attach_attr *attr,
					  struct ibv_flow *flow);
	int (*attach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);
	int (*bind_mw)(struct ibv_qp *qp, struct ibv_mw *mw,
		       struct ibv_mw_bind *mw_bind);
	int (*close_xrcd)(struct ibv_xrcd *xrcd);
	void (*cq_event)(struct ibv_cq *cq);
	struct ibv_ah *(*create_ah)(struct ibv_pd *pd,
				    struct ibv_ah_attr *attr);
	struct ibv_counters *(*create_counters)(
		struct ibv_context *context,
		struct ibv_counters_init_attr *init_attr);
	struct ibv_cq *(*create_cq)(struct ibv_context *context, int cqe,
				    struct ibv_comp_channel *channel,
				    int comp_vector);
	struct ibv_cq_ex *(*create_cq_ex)(
		struct ibv_context *context,
		struct ibv_cq_init_attr_ex *init_attr);
	struct ibv_flow *(*create_flow)(struct ibv_qp *qp,
					struct ibv_flow_attr *flow_attr);
	struct ibv_flow_action *(*create_flow_action_esp)(
		struct ibv_context *context,
		struct ibv_flow_action_esp_attr *attr);
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	struct ibv_qp *(*create_qp_ex)(
		struct ibv_context *context,
		struct ibv_qp_init_attr_ex *qp_init_attr_ex);
	struct ibv_rwq_ind_table *(*create_rwq_ind_table)(
		struct ibv_context *context,
		struct ibv_rwq_ind_table_init_attr *init_attr);
	struct ibv_srq *(*create_srq)(struct ibv_pd *pd,
				      struct ibv_srq_init_attr *srq_init_attr);
	struct ibv_srq *(*create_srq_ex)(
		struct ibv_context *context,
		struct ibv_srq_init_attr_ex *srq_init_attr_ex);
	struct ibv_wq *(*create_wq)(struct ibv_context *context,
				    struct ibv_wq_init_attr *wq_init_attr);
	int (*dealloc_mw)(struct ibv_mw *mw);
	int (*dealloc_pd)(struct ibv_pd *pd);
	int (*dealloc_td)(struct ibv_td *td);
	int (*dereg_mr)(struct verbs_mr *vmr);
	int (*destroy_ah)(struct ibv_ah *ah);
	int (*destroy_counters)(struct ibv_counters *counters);
	int (*destroy_cq)(struct ibv_cq *cq);
	int (*destroy_flow)(struct ibv_flow *flow);
	int (*destroy_flow_action)(struct ibv_flow_action *action);
	int (*destroy_qp)(struct ibv_qp *qp);
	int (*destroy_rwq_ind_table)(struct ibv_rwq_ind_table *rwq_ind_table);
	int (*destroy_srq)(struct ibv_srq *srq);
	int (*destroy_wq)(struct ibv_wq *wq);
	int (*detach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);
	void (*free_context)(struct ibv_context *context);
	int (*free_dm)(struct ibv_dm *dm);
	int (*get_srq_num)(struct ibv_srq *srq, uint32_t *srq_num);
	struct ibv_dm *(*import_dm)(struct ibv_context *context,
				    uint32_t dm_handle);
	struct ibv_mr *(*import_mr)(struct ibv_pd *pd, uint32_t mr_handle);
	struct ibv_pd *(*import_pd)(struct ibv_context *context,
				    uint32_t pd_handle);
	int (*modify_cq)(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr);
	int (*modify_flow_action_esp)(struct ibv_flow_action *action,
				      struct ibv_flow_action_esp_attr *attr);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			 int attr_mask);
	int (*modify_qp_rate_limit)(struct ibv_qp *qp,
				    struct ibv_qp_rate_limit_attr *attr);
	int (*modify_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
			  int srq_attr_mask);
	int (*modify_wq)(struct ibv_wq *wq, struct ibv_wq_attr *wq_attr);
	struct ibv_qp *(*open_qp)(struct ibv_context *context,
				  struct ibv_qp_open_attr *attr);
	struct ibv_xrcd *(*open_xrcd)(
		struct ibv_context *context,
		struct ibv_xrcd_init_attr *xrcd_init_attr);
	int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
	int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr);
	int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr,
			 struct ibv_send_wr **bad_wr);
	int (*post_srq_ops)(struct ibv_srq *srq, struct ibv_ops_wr *op,
			    struct ibv_ops_wr **bad_op);
	int (*post_srq_recv)(struct ibv_srq *srq, struct ibv_recv_wr *recv_wr,
			     struct ibv_recv_wr **bad_recv_wr);
	int (*query_device_ex)(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size);
	int (*query_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	int (*query_port)(struct ibv_context *context, uint8_t port_num,
			  struct ibv_port_attr *port_attr);
	int (*query_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			int attr_mask, struct ibv_qp_init_attr *init_attr);
	int (*query_qp_data_in_order)(struct ibv_qp *qp,
				      enum ibv_wr_opcode op, uint32_t flags);
	int (*query_rt_values)(struct ibv_context *context,
			       struct ibv_values_ex *values);
	int (*query_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr);
	int (*read_counters)(struct ibv_counters *counters,
			     uint64_t *counters_value, uint32_t ncounters,
			     uint32_t flags);
	struct ibv_mr *(*reg_dm_mr)(struct ibv_pd *pd, struct ibv_dm *dm,
				    uint64_t dm_offset, size_t length,
				    unsigned int access);
	struct ibv_mr *(*reg_dmabuf_mr)(struct ibv_pd *pd, uint64_t offset,
					size_t length, uint64_t iova, int fd,
					int access);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t hca_va, int access);
	int (*req_notify_cq)(struct ibv_cq *cq, int solicited_only);
	int (*rereg_mr)(struct verbs_mr *vmr, int flags, struct ibv_pd *pd,
			void *addr, size_t length, int access);
	int (*resize_cq)(struct ibv_cq *cq, int cqe);
	int (*set_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	void (*unimport_dm)(struct ibv_dm *dm);
	void (*unimport_mr)(struct ibv_mr *mr);
	void (*unimport_pd)(struct ibv_pd *pd);
};

/*
 * Registration.  The PABI number is part of the symbol name so a provider
 * built for another private ABI cannot bind to this libibverbs at all.
 */
#define verbs_register_driver_paste(n) verbs_register_driver_##n
#define verbs_register_driver_name(n) verbs_register_driver_paste(n)
#define verbs_register_driver verbs_register_driver_name(VERBS_PABI_VERSION)

void verbs_register_driver(const struct verbs_device_ops *ops);

/*
 * Register 'drv_ops' with libibverbs when the provider is dlopen()ed.
 * (Unlike rdma-core's PROVIDER_DRIVER this does not emit the
 * verbs_provider_<name> alias used for static linking.)
 */
#define PROVIDER_DRIVER(provider_name, drv_ops)				\
	static __attribute__((constructor)) void			\
	provider_name##_register_driver(void)				\
	{								\
		verbs_register_driver(&(drv_ops));			\
	}

/*
 * Context set-up.  _verbs_init_and_alloc_context() callocs alloc_size bytes,
 * initialises the verbs_context found at byte offset 'context_offset' inside
 * that allocation (the pointer argument is really an offset, see the macro)
 * and returns the start of the allocation, or NULL with errno set.
 */
void *_verbs_init_and_alloc_context(struct ibv_device *device, int cmd_fd,
				    size_t alloc_size,
				    struct verbs_context *context_offset,
				    uint32_t driver_id);

#define verbs_init_and_alloc_context(ibdev, cmd_fd, drv_ctx_ptr, ctx_memb,	\
				     driver_id)					\
	((__typeof__(drv_ctx_ptr))_verbs_init_and_alloc_context(		\
		ibdev, cmd_fd, sizeof(*(drv_ctx_ptr)),				\
		&((__typeof__(drv_ctx_ptr))NULL)->ctx_memb, (driver_id)))

void verbs_uninit_context(struct verbs_context *context);
void verbs_set_ops(struct verbs_context *vctx,
		   const struct verbs_context_ops *ops);

/*
 * Legacy write() command buffers: the user command header followed by the
 * kernel's request struct (spelled out, since the uapi structs end in a
 * flexible array).  The ibv_cmd_* helpers forward anything past
 * sizeof(cmd) as driver data, so the sizes must be exact (asserted below).
 */
struct ibv_get_context {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

struct ibv_query_port {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u8 port_num;
	__u8 reserved[7];
};

struct ibv_alloc_pd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

int ibv_cmd_get_context(struct verbs_context *context,
			struct ibv_get_context *cmd, size_t cmd_size,
			struct ib_uverbs_get_context_resp *resp,
			size_t resp_size);
/* *resp_size: in = size of *resp, out = bytes the kernel filled in */
int ibv_cmd_query_device_any(struct ibv_context *context,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size,
			     struct ib_uverbs_ex_query_device_resp *resp,
			     size_t *resp_size);
int ibv_cmd_query_port(struct ibv_context *context, uint8_t port_num,
		       struct ibv_port_attr *port_attr,
		       struct ibv_query_port *cmd, size_t cmd_size);
int ibv_cmd_alloc_pd(struct ibv_context *context, struct ibv_pd *pd,
		     struct ibv_alloc_pd *cmd, size_t cmd_size,
		     struct ib_uverbs_alloc_pd_resp *resp, size_t resp_size);
int ibv_cmd_dealloc_pd(struct ibv_pd *pd);

struct ibv_reg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 hca_va;
	__u32 pd_handle;
	__u32 access_flags;
};

struct ibv_rereg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 mr_handle;
	__u32 flags;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 hca_va;
	__u32 pd_handle;
	__u32 access_flags;
};

int ibv_cmd_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
		   uint64_t hca_va, int access, struct verbs_mr *vmr,
		   struct ibv_reg_mr *cmd, size_t cmd_size,
		   struct ib_uverbs_reg_mr_resp *resp, size_t resp_size);
int ibv_cmd_rereg_mr(struct verbs_mr *vmr, uint32_t flags, void *addr,
		     size_t length, uint64_t hca_va, int access,
		     struct ibv_pd *pd, struct ibv_rereg_mr *cmd,
		     size_t cmd_sz, struct ib_uverbs_rereg_mr_resp *resp,
		     size_t resp_sz);
int ibv_cmd_dereg_mr(struct verbs_mr *vmr);
/*
 * ibv_advise_mr(): the advice, flags and SGE list go to the kernel's
 * UVERBS_METHOD_ADVISE_MR as they are; returns 0 or an errno value.
 */
int ibv_cmd_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		      uint32_t flags, struct ibv_sge *sg_list,
		      uint32_t num_sge);

/*
 * MADV_DONTFORK a range once ibv_fork_init() is in force (else nothing);
 * ibv_reg_mr() does it for a registration that is not ODP, and
 * ibv_dereg_mr() undoes it.  Exported (IBVERBS_1.1) though not declared
 * in <infiniband/verbs.h>.
 */
int ibv_dontfork_range(void *base, size_t size);
int ibv_dofork_range(void *base, size_t size);

/*
 * Memory windows.  ibv_cmd_alloc_mw() fills in *mw (context, pd, rkey,
 * handle, type) from the response.
 */
struct ibv_alloc_mw {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 pd_handle;
	__u8 mw_type;
	__u8 reserved[3];
};

int ibv_cmd_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type,
		     struct ibv_mw *mw, struct ibv_alloc_mw *cmd,
		     size_t cmd_size,
		     struct ib_uverbs_alloc_mw_resp *resp, size_t resp_size);
int ibv_cmd_dealloc_mw(struct ibv_mw *mw);

struct ibv_create_cq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 cqe;
	__u32 comp_vector;
	__s32 comp_channel;
	__u32 reserved;
};

struct ibv_resize_cq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 cq_handle;
	__u32 cqe;
};

/*
 * A CQ as libibverbs sees it.  A provider CQ embeds struct verbs_cq, so one
 * object serves the classic verbs (ibv_cq) and the ibv_cq_ex poll API of a
 * CQ made by create_cq_ex; libibverbs calls verbs_init_cq() itself after
 * create_cq_ex returns.
 */
struct verbs_cq {
	union {
		struct ibv_cq cq;
		struct ibv_cq_ex cq_ex;
	};
};

struct ibv_create_cq_ex {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_ex_cmd_hdr ex_hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_ex_create_cq)];
} __attribute__((aligned(8)));

/*
 * ibv_cmd_create_cq() fills in cq->context, handle and cqe, and passes
 * (uintptr_t)cq as the user handle that completion events return; cmd may
 * be NULL when there is no driver-private request.  The driver-private
 * response follows the core one in *resp (resp_size covers both).
 */
int ibv_cmd_create_cq(struct ibv_context *context, int cqe,
		      struct ibv_comp_channel *channel, int comp_vector,
		      struct ibv_cq *cq, struct ibv_create_cq *cmd,
		      size_t cmd_size, struct ib_uverbs_create_cq_resp *resp,
		      size_t resp_size);
/*
 * The same for an extended CQ (ioctl, or the extended write command); cmd
 * may be NULL when there is no driver-private request, cmd_flags
 * (CREATE_CQ_CMD_FLAGS_*) is 0 here.  The driver-private response follows
 * struct ib_uverbs_ex_create_cq_resp.  libibverbs itself fills in the rest
 * (channel, cq_context, event counters) once the provider's create_cq_ex
 * returns.
 */
int ibv_cmd_create_cq_ex(struct ibv_context *context,
			 const struct ibv_cq_init_attr_ex *cq_attr,
			 struct verbs_cq *cq, struct ibv_create_cq_ex *cmd,
			 size_t cmd_size,
			 struct ib_uverbs_ex_create_cq_resp *resp,
			 size_t resp_size, uint32_t cmd_flags);
/* Waits until every event reported for the CQ has been acknowledged. */
int ibv_cmd_destroy_cq(struct ibv_cq *cq);
int ibv_cmd_req_notify_cq(struct ibv_cq *cq, int solicited_only);
/* Sets cq->cqe from the response. */
int ibv_cmd_resize_cq(struct ibv_cq *cq, int cqe, struct ibv_resize_cq *cmd,
		      size_t cmd_size, struct ib_uverbs_resize_cq_resp *resp,
		      size_t resp_size);

/*
 * XRC domains.  A provider XRCD embeds struct verbs_xrcd; the helpers fill
 * in the context and, as vxrcd_size is large enough to hold it, handle
 * (comp_mask VERBS_XRCD_HANDLE), which create_qp_ex, create_srq_ex and
 * open_qp send for the domain.
 */
enum verbs_xrcd_mask {
	VERBS_XRCD_HANDLE	= 1 << 0,
	VERBS_XRCD_RESERVED	= 1 << 1,
};

struct verbs_xrcd {
	struct ibv_xrcd xrcd;
	uint32_t comp_mask;
	uint32_t handle;
};

struct ibv_open_xrcd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 fd;
	__u32 oflags;
};

struct ibv_close_xrcd {
	struct ib_uverbs_cmd_hdr hdr;
	__u32 xrcd_handle;
};

int ibv_cmd_open_xrcd(struct ibv_context *context, struct verbs_xrcd *xrcd,
		      int vxrcd_size, struct ibv_xrcd_init_attr *attr,
		      struct ibv_open_xrcd *cmd, size_t cmd_size,
		      struct ib_uverbs_open_xrcd_resp *resp, size_t resp_size);
int ibv_cmd_close_xrcd(struct verbs_xrcd *xrcd);

/*
 * Queue pairs.  A provider QP embeds struct verbs_qp; libibverbs fills in
 * the ibv_qp part (handle, qp_num, state, CQs...) and comp_mask in the
 * ibv_cmd_create_qp* helpers, and reads comp_mask (VERBS_QP_EX) in
 * ibv_qp_to_qp_ex().
 */

enum verbs_qp_mask {
	VERBS_QP_XRCD	= 1 << 0,
	VERBS_QP_EX	= 1 << 1,
};

struct verbs_qp {
	union {
		struct ibv_qp qp;
		struct ibv_qp_ex qp_ex;
	};
	uint32_t comp_mask;
	struct verbs_xrcd *xrcd;
};

/*
 * Command buffers whose core part libibverbs fills in itself: only their
 * size and alignment matter here, and both must be exact (asserted below),
 * as the helpers take anything past sizeof(cmd) as driver data.
 */
struct ibv_create_qp_ex {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_ex_cmd_hdr ex_hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_ex_create_qp)];
} __attribute__((aligned(8)));

struct ibv_modify_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_modify_qp)];
} __attribute__((aligned(8)));

struct ibv_query_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_query_qp)];
} __attribute__((aligned(8)));

struct ibv_create_srq {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_create_srq)];
} __attribute__((aligned(8)));

struct ibv_modify_srq {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_modify_srq)];
} __attribute__((aligned(8)));

struct ibv_query_srq {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_query_srq)];
} __attribute__((aligned(8)));

/*
 * The legacy write() form of post_send and post_recv, which the provider
 * sends itself as a doorbell: the header, then struct ib_uverbs_post_send
 * (or _recv, the same layout) with no work requests after it.
 */
struct ibv_post_wq_cmd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 qp_handle;
	__u32 wr_count;
	__u32 sge_count;
	__u32 wqe_size;
};

/*
 * Fills attr->cap with the caps the QP got (also for the ioctl path) and
 * the ibv_qp part of *qp; resp_size covers the driver response after the
 * core one.
 */
int ibv_cmd_create_qp_ex2(struct ibv_context *context, struct verbs_qp *qp,
			  struct ibv_qp_init_attr_ex *attr,
			  struct ibv_create_qp_ex *cmd, size_t cmd_size,
			  struct ib_uverbs_ex_create_qp_resp *resp,
			  size_t resp_size);
int ibv_cmd_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		      int attr_mask, struct ibv_modify_qp *cmd,
		      size_t cmd_size);
int ibv_cmd_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *qp_attr,
		     int attr_mask, struct ibv_qp_init_attr *qp_init_attr,
		     struct ibv_query_qp *cmd, size_t cmd_size);
/* Waits until every event reported for the QP has been acknowledged. */
int ibv_cmd_destroy_qp(struct ibv_qp *qp);

/*
 * A QP opened by number in an XRC domain (an XRC target QP another process
 * created, or this one): ibv_cmd_open_qp() fills in the ibv_qp part with
 * no PD, CQs or SRQ, and with vqp_sz covering it, xrcd (VERBS_QP_XRCD).
 */
struct ibv_open_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 pd_handle;
	__u32 qpn;
	__u8 qp_type;
	__u8 reserved[7];
};

int ibv_cmd_open_qp(struct ibv_context *context, struct verbs_qp *qp,
		    int vqp_sz, struct ibv_qp_open_attr *attr,
		    struct ibv_open_qp *cmd, size_t cmd_size,
		    struct ib_uverbs_create_qp_resp *resp, size_t resp_size);

/*
 * An SRQ as libibverbs sees it: an SRQ made by create_srq_ex embeds struct
 * verbs_srq, which ibv_cmd_create_srq_ex() fills in (srq_type, and for an
 * XRC SRQ xrcd, cq and srq_num from the kernel's response).
 */
struct verbs_srq {
	struct ibv_srq srq;
	enum ibv_srq_type srq_type;
	struct verbs_xrcd *xrcd;
	struct ibv_cq *cq;
	uint32_t srq_num;
};

struct ibv_create_xsrq {
	struct ib_uverbs_cmd_hdr hdr;
	__u8 core_payload[sizeof(struct ib_uverbs_create_xsrq)];
} __attribute__((aligned(8)));

int ibv_cmd_create_srq_ex(struct ibv_context *context, struct verbs_srq *srq,
			  struct ibv_srq_init_attr_ex *attr_ex,
			  struct ibv_create_xsrq *cmd, size_t cmd_size,
			  struct ib_uverbs_create_srq_resp *resp,
			  size_t resp_size);

/* Fills srq->handle; updates attr->attr with what the SRQ got. */
int ibv_cmd_create_srq(struct ibv_pd *pd, struct ibv_srq *srq,
		       struct ibv_srq_init_attr *attr,
		       struct ibv_create_srq *cmd, size_t cmd_size,
		       struct ib_uverbs_create_srq_resp *resp,
		       size_t resp_size);
int ibv_cmd_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		       int srq_attr_mask, struct ibv_modify_srq *cmd,
		       size_t cmd_size);
int ibv_cmd_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		      struct ibv_query_srq *cmd, size_t cmd_size);
int ibv_cmd_destroy_srq(struct ibv_srq *srq);

/* Fills ah->handle; resp_size covers the driver response. */
int ibv_cmd_create_ah(struct ibv_pd *pd, struct ibv_ah *ah,
		      struct ibv_ah_attr *attr,
		      struct ib_uverbs_create_ah_resp *resp, size_t resp_size);
int ibv_cmd_destroy_ah(struct ibv_ah *ah);

/*
 * Layout checks.  The numbers are the offsets libibverbs.so.1 44.0 itself
 * uses (read from its machine code), so a mistake above fails the build.
 */
#if __SIZEOF_POINTER__ == 8 && __SIZEOF_LONG__ == 8
static_assert(sizeof(struct verbs_match_ent) == 24, "verbs_match_ent");
static_assert(offsetof(struct verbs_match_ent, u) == 8, "verbs_match_ent");
static_assert(offsetof(struct verbs_match_ent, kind) == 20, "verbs_match_ent");

static_assert(offsetof(struct verbs_sysfs_dev, match) == 24, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, flags) == 32, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, sysfs_cdev) == 0x68, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, ibdev_name) == 0x70, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, node_guid) == 0x3b0, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, driver_id) == 0x3b8, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, node_type) == 0x3bc, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, ibdev_idx) == 0x3c0, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, num_ports) == 0x3c4, "sysfs_dev");
static_assert(offsetof(struct verbs_sysfs_dev, abi_ver) == 0x3c8, "sysfs_dev");
static_assert(sizeof(struct verbs_sysfs_dev) == 0x3e0, "sysfs_dev");

static_assert(offsetof(struct verbs_device_ops, match_min_abi_version) == 8,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, match_max_abi_version) == 12,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, match_table) == 0x10,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, match_device) == 0x20,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, alloc_context) == 0x28,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, alloc_device) == 0x38,
	      "device_ops");
static_assert(offsetof(struct verbs_device_ops, uninit_device) == 0x40,
	      "device_ops");

static_assert(offsetof(struct verbs_device, ops) == 0x298, "verbs_device");
static_assert(offsetof(struct verbs_device, refcount) == 0x2a0, "verbs_device");
static_assert(offsetof(struct verbs_device, entry) == 0x2a8, "verbs_device");
static_assert(offsetof(struct verbs_device, sysfs) == 0x2b8, "verbs_device");
static_assert(offsetof(struct verbs_device, core_support) == 0x2c0,
	      "verbs_device");
static_assert(sizeof(struct verbs_device) == 0x2c8, "verbs_device");

/* public <infiniband/verbs.h>, checked because the ops table relies on it */
static_assert(offsetof(struct verbs_context, priv) == 0xd0, "verbs_context");
static_assert(offsetof(struct verbs_context, context) == 0x140,
	      "verbs_context");

#define VERBS_OPS_AT(member, off)					\
	static_assert(offsetof(struct verbs_context_ops, member) == (off), \
		      "verbs_context_ops." #member)
/* set_qp() in libibverbs 44 stores comp_mask at 0x160 and xrcd at 0x168. */
static_assert(offsetof(struct verbs_qp, comp_mask) == 0x160, "verbs_qp");
static_assert(offsetof(struct verbs_qp, xrcd) == 0x168, "verbs_qp");
/*
 * ibv_cmd_open_xrcd() stores the handle at 0xc when vxrcd_size is over 12;
 * ibv_cmd_open_qp() sets xrcd when vqp_sz is over 0x168.
 */
static_assert(offsetof(struct verbs_xrcd, comp_mask) == 8, "verbs_xrcd");
static_assert(offsetof(struct verbs_xrcd, handle) == 0xc, "verbs_xrcd");
static_assert(sizeof(struct verbs_qp) > 0x168, "verbs_qp size");
/*
 * ibv_cmd_create_srq_ex() stores srq_type at 0x80, xrcd at 0x88, cq at
 * 0x90 and srq_num at 0x98 (rdma-core 44 has no comp_mask there).
 */
static_assert(sizeof(struct ibv_srq) == 0x80, "ibv_srq");
static_assert(offsetof(struct verbs_srq, srq_type) == 0x80, "verbs_srq");
static_assert(offsetof(struct verbs_srq, xrcd) == 0x88, "verbs_srq");
static_assert(offsetof(struct verbs_srq, cq) == 0x90, "verbs_srq");
static_assert(offsetof(struct verbs_srq, srq_num) == 0x98, "verbs_srq");

VERBS_OPS_AT(advise_mr, 0x000);
VERBS_OPS_AT(alloc_mw, 0x010);
VERBS_OPS_AT(alloc_pd, 0x028);
VERBS_OPS_AT(bind_mw, 0x050);
VERBS_OPS_AT(dealloc_mw, 0x0c8);
VERBS_OPS_AT(cq_event, 0x060);
VERBS_OPS_AT(create_cq, 0x078);
VERBS_OPS_AT(create_cq_ex, 0x080);
VERBS_OPS_AT(dealloc_pd, 0x0d0);
VERBS_OPS_AT(destroy_cq, 0x0f8);
VERBS_OPS_AT(free_context, 0x138);
VERBS_OPS_AT(import_dm, 0x150);
VERBS_OPS_AT(import_mr, 0x158);
VERBS_OPS_AT(poll_cq, 0x1a8);
VERBS_OPS_AT(query_device_ex, 0x1d0);
VERBS_OPS_AT(query_ece, 0x1d8);
VERBS_OPS_AT(query_port, 0x1e0);
VERBS_OPS_AT(query_qp_data_in_order, 0x1f0);
VERBS_OPS_AT(req_notify_cq, 0x228);
VERBS_OPS_AT(resize_cq, 0x238);
VERBS_OPS_AT(set_ece, 0x240);
VERBS_OPS_AT(unimport_dm, 0x248);
VERBS_OPS_AT(unimport_mr, 0x250);
VERBS_OPS_AT(unimport_pd, 0x258);
VERBS_OPS_AT(create_ah, 0x068);
VERBS_OPS_AT(create_qp, 0x098);
VERBS_OPS_AT(create_qp_ex, 0x0a0);
VERBS_OPS_AT(create_srq, 0x0b0);
VERBS_OPS_AT(destroy_ah, 0x0e8);
VERBS_OPS_AT(destroy_qp, 0x110);
VERBS_OPS_AT(destroy_srq, 0x120);
VERBS_OPS_AT(modify_qp, 0x178);
VERBS_OPS_AT(modify_srq, 0x188);
VERBS_OPS_AT(post_recv, 0x1b0);
VERBS_OPS_AT(post_send, 0x1b8);
VERBS_OPS_AT(post_srq_recv, 0x1c8);
VERBS_OPS_AT(query_qp, 0x1e8);
VERBS_OPS_AT(query_srq, 0x200);
VERBS_OPS_AT(close_xrcd, 0x058);
VERBS_OPS_AT(create_srq_ex, 0x0b8);
VERBS_OPS_AT(get_srq_num, 0x148);
VERBS_OPS_AT(open_qp, 0x198);
VERBS_OPS_AT(open_xrcd, 0x1a0);
#undef VERBS_OPS_AT
static_assert(sizeof(struct verbs_context_ops) == 76 * sizeof(void *),
	      "verbs_context_ops");
#endif

#define VERBS_CMD_MATCHES_KABI(cmd, kabi)				\
	static_assert(sizeof(struct cmd) ==				\
		      sizeof(struct ib_uverbs_cmd_hdr) + sizeof(struct kabi), \
		      #cmd " size")
VERBS_CMD_MATCHES_KABI(ibv_get_context, ib_uverbs_get_context);
VERBS_CMD_MATCHES_KABI(ibv_query_port, ib_uverbs_query_port);
VERBS_CMD_MATCHES_KABI(ibv_alloc_pd, ib_uverbs_alloc_pd);
VERBS_CMD_MATCHES_KABI(ibv_reg_mr, ib_uverbs_reg_mr);
VERBS_CMD_MATCHES_KABI(ibv_alloc_mw, ib_uverbs_alloc_mw);
VERBS_CMD_MATCHES_KABI(ibv_rereg_mr, ib_uverbs_rereg_mr);
VERBS_CMD_MATCHES_KABI(ibv_create_cq, ib_uverbs_create_cq);
VERBS_CMD_MATCHES_KABI(ibv_resize_cq, ib_uverbs_resize_cq);
VERBS_CMD_MATCHES_KABI(ibv_modify_qp, ib_uverbs_modify_qp);
VERBS_CMD_MATCHES_KABI(ibv_query_qp, ib_uverbs_query_qp);
VERBS_CMD_MATCHES_KABI(ibv_create_srq, ib_uverbs_create_srq);
VERBS_CMD_MATCHES_KABI(ibv_modify_srq, ib_uverbs_modify_srq);
VERBS_CMD_MATCHES_KABI(ibv_query_srq, ib_uverbs_query_srq);
VERBS_CMD_MATCHES_KABI(ibv_post_wq_cmd, ib_uverbs_post_send);
VERBS_CMD_MATCHES_KABI(ibv_post_wq_cmd, ib_uverbs_post_recv);
VERBS_CMD_MATCHES_KABI(ibv_open_xrcd, ib_uverbs_open_xrcd);
VERBS_CMD_MATCHES_KABI(ibv_close_xrcd, ib_uverbs_close_xrcd);
VERBS_CMD_MATCHES_KABI(ibv_open_qp, ib_uverbs_open_qp);
VERBS_CMD_MATCHES_KABI(ibv_create_xsrq, ib_uverbs_create_xsrq);
#undef VERBS_CMD_MATCHES_KABI
static_assert(offsetof(struct ibv_query_port, port_num) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      offsetof(struct ib_uverbs_query_port, port_num),
	      "ibv_query_port.port_num");
static_assert(sizeof(struct ibv_get_context) == 16, "ibv_get_context");
static_assert(sizeof(struct ibv_query_port) == 24, "ibv_query_port");
static_assert(sizeof(struct ibv_alloc_pd) == 16, "ibv_alloc_pd");
static_assert(sizeof(struct ibv_create_qp_ex) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      sizeof(struct ib_uverbs_ex_cmd_hdr) +
	      sizeof(struct ib_uverbs_ex_create_qp), "ibv_create_qp_ex");
static_assert(sizeof(struct ibv_create_qp_ex) == 88, "ibv_create_qp_ex");
static_assert(sizeof(struct ibv_modify_qp) == 120, "ibv_modify_qp");
static_assert(sizeof(struct ibv_post_wq_cmd) == 32, "ibv_post_wq_cmd");
static_assert(sizeof(struct ibv_create_cq) == 40, "ibv_create_cq");
static_assert(sizeof(struct ibv_create_cq_ex) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      sizeof(struct ib_uverbs_ex_cmd_hdr) +
	      sizeof(struct ib_uverbs_ex_create_cq), "ibv_create_cq_ex");
static_assert(sizeof(struct ibv_resize_cq) == 24, "ibv_resize_cq");
/* The fields ibv_cmd_open_xrcd() and ibv_cmd_open_qp() write. */
static_assert(offsetof(struct ibv_open_xrcd, fd) == 0x10, "ibv_open_xrcd");
static_assert(sizeof(struct ibv_open_qp) == 0x28, "ibv_open_qp");
static_assert(offsetof(struct ibv_open_qp, qp_type) == 0x20, "ibv_open_qp");

#endif /* PINRXE_VERBS_DRIVER_ABI_H */
