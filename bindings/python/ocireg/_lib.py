"""Loading libocireg and declaring every C function of include/ocireg.h.

The library is looked for, in order:

1. the path in the ``OCIREG_LIBRARY`` environment variable, when it is set
   (an explicit override: it is then the only candidate);
2. the copy the package carries, ``ocireg/_native/libocireg.so.SOVERSION``
   (an installed wheel or ``pip install ./bindings/python`` has it);
3. the build tree: ``build/lib/libocireg.so`` in the package's directory or
   any directory above it (what ``make lib`` produces), for the source tree
   used through ``PYTHONPATH``;
4. the system, through ``ctypes.util.find_library("ocireg")``.

ctypes.CDLL releases the GIL around every call, so calls on one client from
many Python threads really run in parallel, and a ``Cancel`` can be
triggered from another thread while a call blocks.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_uint8,
    c_void_p,
)
from pathlib import Path
from typing import NoReturn

__all__ = ["lib", "library_path", "missing"]


# Opaque handles: distinct pointer types, so ctypes refuses to pass one
# handle where another is expected.
class ocireg_artifact_options(Structure):
    pass


class ocireg_blob_reader(Structure):
    pass


class ocireg_cancel(Structure):
    pass


class ocireg_client(Structure):
    pass


class ocireg_content(Structure):
    pass


class ocireg_descriptor_list(Structure):
    pass


class ocireg_image_options(Structure):
    pass


class ocireg_options(Structure):
    pass


class ocireg_platform_list(Structure):
    pass


class ocireg_rate_limit(Structure):
    pass


class ocireg_reference(Structure):
    pass


class ocireg_request(Structure):
    pass


class ocireg_response(Structure):
    pass


class ocireg_search_results(Structure):
    pass


class ocireg_signature_list(Structure):
    pass


class ocireg_string_list(Structure):
    pass


class ocireg_upload(Structure):
    pass


class ocireg_index_options(Structure):
    pass


class ocireg_index_update(Structure):
    pass


ArtifactOptionsP = POINTER(ocireg_artifact_options)
IndexOptionsP = POINTER(ocireg_index_options)
IndexUpdateP = POINTER(ocireg_index_update)
ReaderP = POINTER(ocireg_blob_reader)
CancelP = POINTER(ocireg_cancel)
ClientP = POINTER(ocireg_client)
ContentP = POINTER(ocireg_content)
DescriptorListP = POINTER(ocireg_descriptor_list)
ImageOptionsP = POINTER(ocireg_image_options)
OptionsP = POINTER(ocireg_options)
PlatformListP = POINTER(ocireg_platform_list)
RateLimitP = POINTER(ocireg_rate_limit)
ReferenceP = POINTER(ocireg_reference)
RequestP = POINTER(ocireg_request)
ResponseP = POINTER(ocireg_response)
SearchResultsP = POINTER(ocireg_search_results)
SignatureListP = POINTER(ocireg_signature_list)
StringListP = POINTER(ocireg_string_list)
UploadP = POINTER(ocireg_upload)

# `ocireg_status` is a uint32_t-sized enum.
status_t = c_uint32
# `char *` the caller frees with ocireg_string_free: kept as a raw pointer
# (c_char_p would turn it into bytes and lose the address to free).
owned_str = POINTER(c_char)
bytes_p = POINTER(c_uint8)

write_cb = CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t)
progress_cb = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)
image_progress_cb = CFUNCTYPE(
    c_int, c_void_p, c_char_p, c_uint64, c_uint64, c_uint64, c_uint64, c_uint64, c_uint64, c_uint64, c_uint64
)
read_cb = CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t, POINTER(c_size_t))
# `ocireg_log_level` is a uint32_t.
log_cb = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)

# name: (restype, argtypes) for every function in include/ocireg.h.
SIGNATURES = {
    # version and status names
    "ocireg_version": (c_char_p, []),
    "ocireg_status_str": (c_char_p, [c_uint32]),
    # last error (per thread)
    "ocireg_last_error_status": (status_t, []),
    "ocireg_last_error_message": (c_char_p, []),
    "ocireg_last_error_registry_code": (c_char_p, []),
    "ocireg_last_error_http_status": (c_uint16, []),
    "ocireg_last_error_retry_after_ms": (c_uint64, []),
    "ocireg_last_error_registry_count": (c_size_t, []),
    "ocireg_last_error_registry_entry_code": (c_char_p, [c_size_t]),
    "ocireg_last_error_registry_entry_message": (c_char_p, [c_size_t]),
    "ocireg_last_error_registry_entry_detail": (c_char_p, [c_size_t]),
    "ocireg_last_error_rate_limit_limit": (c_int64, []),
    "ocireg_last_error_rate_limit_limit_window_s": (c_int64, []),
    "ocireg_last_error_rate_limit_remaining": (c_int64, []),
    "ocireg_last_error_rate_limit_remaining_window_s": (c_int64, []),
    "ocireg_last_error_rate_limit_source": (c_char_p, []),
    "ocireg_last_error_clear": (None, []),
    # the log callback (process-wide)
    "ocireg_set_log_callback": (status_t, [c_uint32, log_cb, c_void_p]),
    # cancel
    "ocireg_cancel_new": (CancelP, []),
    "ocireg_cancel_cancel": (None, [CancelP]),
    "ocireg_cancel_free": (None, [CancelP]),
    # options
    "ocireg_options_new": (OptionsP, []),
    "ocireg_options_free": (None, [OptionsP]),
    "ocireg_options_add_insecure_registry": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_credentials": (status_t, [OptionsP, c_char_p, c_char_p, c_char_p]),
    "ocireg_options_set_identity_token": (status_t, [OptionsP, c_char_p, c_char_p]),
    "ocireg_options_set_auth_file": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_registries_conf": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_use_system_registries_conf": (status_t, [OptionsP, c_int]),
    "ocireg_options_set_token_cache": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_add_ca_file": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_proxy": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_ranged_download": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_user_agent": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_set_client_cert": (status_t, [OptionsP, c_char_p, c_char_p]),
    "ocireg_options_add_header": (status_t, [OptionsP, c_char_p, c_char_p]),
    "ocireg_options_set_connect_timeout_ms": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_read_timeout_ms": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_request_timeout_ms": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_credential_helper_timeout_ms": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_max_retries": (status_t, [OptionsP, c_uint32]),
    "ocireg_options_set_max_retry_after_ms": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_page_size": (status_t, [OptionsP, c_uint32]),
    "ocireg_options_set_max_resumes": (status_t, [OptionsP, c_uint32]),
    "ocireg_options_set_max_list_entries": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_max_list_bytes": (status_t, [OptionsP, c_uint64]),
    "ocireg_options_set_upload_chunk_size": (status_t, [OptionsP, c_size_t]),
    "ocireg_options_set_concurrency": (status_t, [OptionsP, c_uint32]),
    # options: certs.d and OAuth2
    "ocireg_options_set_cert_dir": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_add_certs_d_root": (status_t, [OptionsP, c_char_p]),
    "ocireg_options_use_system_certs_d": (status_t, [OptionsP]),
    "ocireg_options_set_force_oauth2": (status_t, [OptionsP, c_int]),
    "ocireg_options_set_offline_token": (status_t, [OptionsP, c_int]),
    "ocireg_options_set_oauth2_client_id": (status_t, [OptionsP, c_char_p]),
    # client
    "ocireg_client_new": (status_t, [OptionsP, POINTER(ClientP)]),
    "ocireg_client_free": (None, [ClientP]),
    "ocireg_client_ping": (status_t, [ClientP, c_char_p, CancelP]),
    "ocireg_client_check_credentials": (status_t, [ClientP, c_char_p, CancelP]),
    "ocireg_client_catalog": (status_t, [ClientP, c_char_p, CancelP, POINTER(StringListP)]),
    # login that persists, logout, search, rate limits, the HEAD-only digest
    "ocireg_client_login": (
        status_t,
        [ClientP, c_char_p, c_char_p, c_char_p, c_uint32, c_char_p, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_logout": (
        status_t,
        [ClientP, c_char_p, c_uint32, c_char_p, c_int, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_search": (
        status_t,
        [ClientP, c_char_p, c_char_p, c_size_t, CancelP, POINTER(SearchResultsP)],
    ),
    "ocireg_search_results_len": (c_size_t, [SearchResultsP]),
    "ocireg_search_results_name": (c_char_p, [SearchResultsP, c_size_t]),
    "ocireg_search_results_description": (c_char_p, [SearchResultsP, c_size_t]),
    "ocireg_search_results_star_count": (c_uint64, [SearchResultsP, c_size_t]),
    "ocireg_search_results_is_official": (c_int, [SearchResultsP, c_size_t]),
    "ocireg_search_results_is_trusted": (c_int, [SearchResultsP, c_size_t]),
    "ocireg_search_results_is_automated": (c_int, [SearchResultsP, c_size_t]),
    "ocireg_search_results_free": (None, [SearchResultsP]),
    "ocireg_client_digest": (status_t, [ClientP, c_char_p, CancelP, POINTER(owned_str)]),
    "ocireg_client_pull_source": (status_t, [ClientP, c_char_p, CancelP, POINTER(owned_str)]),
    "ocireg_client_resolve_name": (
        status_t,
        [ClientP, c_char_p, c_int, CancelP, POINTER(owned_str), POINTER(owned_str)],
    ),
    "ocireg_client_rate_limit": (status_t, [ClientP, c_char_p, CancelP, POINTER(RateLimitP)]),
    "ocireg_client_last_rate_limit": (status_t, [ClientP, c_char_p, POINTER(RateLimitP)]),
    "ocireg_rate_limit_limit": (c_int64, [RateLimitP]),
    "ocireg_rate_limit_limit_window_s": (c_int64, [RateLimitP]),
    "ocireg_rate_limit_remaining": (c_int64, [RateLimitP]),
    "ocireg_rate_limit_remaining_window_s": (c_int64, [RateLimitP]),
    "ocireg_rate_limit_source": (c_char_p, [RateLimitP]),
    "ocireg_rate_limit_free": (None, [RateLimitP]),
    "ocireg_client_tags": (status_t, [ClientP, c_char_p, CancelP, POINTER(StringListP)]),
    "ocireg_client_manifest_get": (status_t, [ClientP, c_char_p, CancelP, POINTER(ContentP)]),
    "ocireg_client_config_get": (
        status_t,
        [ClientP, c_char_p, c_char_p, CancelP, POINTER(ContentP)],
    ),
    "ocireg_client_manifest_head": (
        status_t,
        [ClientP, c_char_p, CancelP, POINTER(owned_str), POINTER(c_uint64), POINTER(owned_str)],
    ),
    "ocireg_client_manifest_put": (
        status_t,
        [ClientP, c_char_p, bytes_p, c_size_t, c_char_p, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_manifest_put_tags": (
        status_t,
        [
            ClientP,
            c_char_p,
            POINTER(c_char_p),
            c_size_t,
            bytes_p,
            c_size_t,
            c_char_p,
            CancelP,
            POINTER(owned_str),
        ],
    ),
    "ocireg_client_manifest_delete": (status_t, [ClientP, c_char_p, CancelP]),
    "ocireg_client_untag": (status_t, [ClientP, c_char_p, c_int, CancelP, POINTER(c_int)]),
    # artifacts
    "ocireg_artifact_options_new": (ArtifactOptionsP, []),
    "ocireg_artifact_options_free": (None, [ArtifactOptionsP]),
    "ocireg_artifact_options_set_artifact_type": (status_t, [ArtifactOptionsP, c_char_p]),
    "ocireg_artifact_options_add_annotation": (status_t, [ArtifactOptionsP, c_char_p, c_char_p]),
    "ocireg_artifact_options_set_subject": (status_t, [ArtifactOptionsP, c_char_p]),
    "ocireg_client_artifact_push": (
        status_t,
        [
            ClientP,
            c_char_p,
            POINTER(c_char_p),
            POINTER(c_char_p),
            c_size_t,
            ArtifactOptionsP,
            CancelP,
            POINTER(owned_str),
        ],
    ),
    "ocireg_client_artifact_pull": (
        status_t,
        [ClientP, c_char_p, c_char_p, c_int, CancelP, POINTER(StringListP)],
    ),
    # indexes authored
    "ocireg_index_options_new": (IndexOptionsP, []),
    "ocireg_index_options_free": (None, [IndexOptionsP]),
    "ocireg_index_options_set_artifact_type": (status_t, [IndexOptionsP, c_char_p]),
    "ocireg_index_options_add_annotation": (status_t, [IndexOptionsP, c_char_p, c_char_p]),
    "ocireg_client_index_create": (
        status_t,
        [ClientP, c_char_p, POINTER(c_char_p), c_size_t, IndexOptionsP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_index_update_new": (IndexUpdateP, []),
    "ocireg_index_update_free": (None, [IndexUpdateP]),
    "ocireg_index_update_add": (status_t, [IndexUpdateP, c_char_p]),
    "ocireg_index_update_remove_digest": (status_t, [IndexUpdateP, c_char_p]),
    "ocireg_index_update_remove_platform": (status_t, [IndexUpdateP, c_char_p]),
    "ocireg_index_update_set_annotation": (status_t, [IndexUpdateP, c_char_p, c_char_p]),
    "ocireg_index_update_remove_annotation": (status_t, [IndexUpdateP, c_char_p]),
    "ocireg_client_index_update": (
        status_t,
        [ClientP, c_char_p, IndexUpdateP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_referrers": (
        status_t,
        [ClientP, c_char_p, c_char_p, CancelP, POINTER(DescriptorListP)],
    ),
    "ocireg_client_signatures": (
        status_t,
        [ClientP, c_char_p, c_char_p, CancelP, POINTER(SignatureListP)],
    ),
    "ocireg_client_signatures_put": (
        status_t,
        [ClientP, c_char_p, c_char_p, SignatureListP, CancelP, POINTER(c_size_t)],
    ),
    "ocireg_signature_kind_str": (c_char_p, [c_uint32]),
    "ocireg_signature_list_new": (SignatureListP, []),
    "ocireg_signature_list_add": (status_t, [SignatureListP, c_uint32, c_char_p, bytes_p, c_size_t]),
    "ocireg_signature_list_add_blob": (status_t, [SignatureListP, bytes_p, c_size_t]),
    "ocireg_signature_list_annotate": (status_t, [SignatureListP, c_size_t, c_char_p, c_char_p]),
    "ocireg_signature_list_len": (c_size_t, [SignatureListP]),
    "ocireg_signature_list_kind": (c_uint32, [SignatureListP, c_size_t]),
    "ocireg_signature_list_bytes": (bytes_p, [SignatureListP, c_size_t, POINTER(c_size_t)]),
    "ocireg_signature_list_mime_type": (c_char_p, [SignatureListP, c_size_t]),
    "ocireg_signature_list_annotations_len": (c_size_t, [SignatureListP, c_size_t]),
    "ocireg_signature_list_annotation_key": (c_char_p, [SignatureListP, c_size_t, c_size_t]),
    "ocireg_signature_list_annotation_value": (c_char_p, [SignatureListP, c_size_t, c_size_t]),
    "ocireg_signature_list_free": (None, [SignatureListP]),
    "ocireg_client_blob_head": (status_t, [ClientP, c_char_p, c_char_p, CancelP, POINTER(c_uint64)]),
    "ocireg_client_blob_delete": (status_t, [ClientP, c_char_p, c_char_p, CancelP]),
    "ocireg_client_blob_push": (
        status_t,
        [ClientP, c_char_p, bytes_p, c_size_t, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_blob_get": (
        status_t,
        [ClientP, c_char_p, c_char_p, write_cb, c_void_p, progress_cb, c_void_p, CancelP],
    ),
    "ocireg_client_blob_get_range": (
        status_t,
        [ClientP, c_char_p, c_char_p, c_uint64, c_uint64, write_cb, c_void_p, CancelP],
    ),
    "ocireg_client_blob_open": (
        status_t,
        [ClientP, c_char_p, c_char_p, CancelP, POINTER(ReaderP)],
    ),
    "ocireg_client_blob_push_from": (
        status_t,
        [ClientP, c_char_p, read_cb, c_void_p, progress_cb, c_void_p, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_blob_mount": (
        status_t,
        [ClientP, c_char_p, c_char_p, c_char_p, CancelP, POINTER(c_int), POINTER(UploadP)],
    ),
    "ocireg_client_upload_start": (status_t, [ClientP, c_char_p, CancelP, POINTER(UploadP)]),
    "ocireg_client_upload_resume": (
        status_t,
        [ClientP, c_char_p, c_char_p, CancelP, POINTER(UploadP)],
    ),
    # whole images
    "ocireg_image_options_new": (ImageOptionsP, []),
    "ocireg_image_options_free": (None, [ImageOptionsP]),
    "ocireg_image_options_set_platform": (status_t, [ImageOptionsP, c_char_p]),
    "ocireg_image_options_set_all_platforms": (status_t, [ImageOptionsP, c_int]),
    "ocireg_image_options_set_layout_name": (status_t, [ImageOptionsP, c_char_p]),
    "ocireg_image_options_add_mount_from": (status_t, [ImageOptionsP, c_char_p]),
    "ocireg_image_options_set_referrers": (status_t, [ImageOptionsP, c_uint32]),
    "ocireg_image_options_add_referrer_artifact_type": (status_t, [ImageOptionsP, c_char_p]),
    "ocireg_image_options_set_signatures": (status_t, [ImageOptionsP, c_int, c_char_p]),
    "ocireg_image_options_set_resume_dir": (status_t, [ImageOptionsP, c_char_p]),
    "ocireg_image_options_set_progress": (status_t, [ImageOptionsP, image_progress_cb, c_void_p]),
    "ocireg_client_image_pull": (
        status_t,
        [ClientP, c_char_p, c_char_p, ImageOptionsP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_image_push": (
        status_t,
        [ClientP, c_char_p, c_char_p, ImageOptionsP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_image_copy": (
        status_t,
        [ClientP, c_char_p, c_char_p, ImageOptionsP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_image_save": (
        status_t,
        [ClientP, c_char_p, c_char_p, ImageOptionsP, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_image_inspect": (
        status_t,
        [ClientP, c_char_p, ImageOptionsP, c_int, CancelP, POINTER(owned_str)],
    ),
    # blob reader
    "ocireg_blob_reader_read": (status_t, [ReaderP, bytes_p, c_size_t, POINTER(c_size_t)]),
    "ocireg_blob_reader_size": (c_uint64, [ReaderP]),
    "ocireg_blob_reader_free": (None, [ReaderP]),
    # upload
    "ocireg_upload_write": (status_t, [UploadP, bytes_p, c_size_t]),
    "ocireg_upload_offset": (c_uint64, [UploadP]),
    "ocireg_upload_location": (c_char_p, [UploadP]),
    "ocireg_upload_suspend": (status_t, [UploadP, POINTER(owned_str), POINTER(c_uint64)]),
    "ocireg_upload_commit": (status_t, [UploadP, c_char_p, POINTER(owned_str)]),
    "ocireg_upload_free": (None, [UploadP]),
    # references and registry names
    "ocireg_reference_parse": (status_t, [c_char_p, POINTER(ReferenceP)]),
    "ocireg_reference_registry": (c_char_p, [ReferenceP]),
    "ocireg_reference_api_host": (c_char_p, [ReferenceP]),
    "ocireg_reference_repository": (c_char_p, [ReferenceP]),
    "ocireg_reference_tag": (c_char_p, [ReferenceP]),
    "ocireg_reference_digest": (c_char_p, [ReferenceP]),
    "ocireg_reference_canonical": (c_char_p, [ReferenceP]),
    "ocireg_reference_familiar": (c_char_p, [ReferenceP]),
    "ocireg_reference_free": (None, [ReferenceP]),
    "ocireg_registry_normalize": (status_t, [c_char_p, POINTER(owned_str)]),
    # raw requests
    "ocireg_request_new": (status_t, [c_char_p, c_char_p, POINTER(RequestP)]),
    "ocireg_request_add_header": (status_t, [RequestP, c_char_p, c_char_p]),
    "ocireg_request_add_scope": (status_t, [RequestP, c_char_p]),
    "ocireg_request_set_body": (status_t, [RequestP, bytes_p, c_size_t]),
    "ocireg_request_set_body_reader": (status_t, [RequestP, read_cb, c_void_p, c_uint64]),
    "ocireg_request_set_max_response_body": (status_t, [RequestP, c_uint64]),
    "ocireg_request_free": (None, [RequestP]),
    "ocireg_client_request": (
        status_t,
        [ClientP, c_char_p, RequestP, write_cb, c_void_p, CancelP, POINTER(ResponseP)],
    ),
    "ocireg_response_status": (c_uint16, [ResponseP]),
    "ocireg_response_header_count": (c_size_t, [ResponseP]),
    "ocireg_response_header_name": (c_char_p, [ResponseP, c_size_t]),
    "ocireg_response_header_value": (c_char_p, [ResponseP, c_size_t]),
    "ocireg_response_header": (c_char_p, [ResponseP, c_char_p]),
    "ocireg_response_free": (None, [ResponseP]),
    # values the library hands out
    "ocireg_string_free": (None, [owned_str]),
    "ocireg_string_list_len": (c_size_t, [StringListP]),
    "ocireg_string_list_get": (c_char_p, [StringListP, c_size_t]),
    "ocireg_string_list_free": (None, [StringListP]),
    "ocireg_content_bytes": (bytes_p, [ContentP, POINTER(c_size_t)]),
    "ocireg_content_media_type": (c_char_p, [ContentP]),
    "ocireg_content_digest": (c_char_p, [ContentP]),
    "ocireg_content_free": (None, [ContentP]),
    "ocireg_descriptor_list_len": (c_size_t, [DescriptorListP]),
    "ocireg_descriptor_list_media_type": (c_char_p, [DescriptorListP, c_size_t]),
    "ocireg_descriptor_list_digest": (c_char_p, [DescriptorListP, c_size_t]),
    "ocireg_descriptor_list_size": (c_uint64, [DescriptorListP, c_size_t]),
    "ocireg_descriptor_list_artifact_type": (c_char_p, [DescriptorListP, c_size_t]),
    "ocireg_descriptor_list_kind": (c_uint32, [DescriptorListP, c_size_t]),
    "ocireg_referrer_kind_str": (c_char_p, [c_uint32]),
    "ocireg_descriptor_list_annotations_len": (c_size_t, [DescriptorListP, c_size_t]),
    "ocireg_descriptor_list_annotation_key": (c_char_p, [DescriptorListP, c_size_t, c_size_t]),
    "ocireg_descriptor_list_annotation_value": (c_char_p, [DescriptorListP, c_size_t, c_size_t]),
    "ocireg_descriptor_list_free": (None, [DescriptorListP]),
    # platforms as data
    "ocireg_client_platforms_get": (status_t, [ClientP, c_char_p, CancelP, POINTER(PlatformListP)]),
    "ocireg_client_manifest_get_platform": (status_t, [ClientP, c_char_p, c_char_p, CancelP, POINTER(ContentP)]),
    "ocireg_platform_list_len": (c_size_t, [PlatformListP]),
    "ocireg_platform_list_os": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_architecture": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_variant": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_os_version": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_os_feature_count": (c_size_t, [PlatformListP, c_size_t]),
    "ocireg_platform_list_os_feature": (c_char_p, [PlatformListP, c_size_t, c_size_t]),
    "ocireg_platform_list_feature_count": (c_size_t, [PlatformListP, c_size_t]),
    "ocireg_platform_list_feature": (c_char_p, [PlatformListP, c_size_t, c_size_t]),
    "ocireg_platform_list_digest": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_size": (c_uint64, [PlatformListP, c_size_t]),
    "ocireg_platform_list_media_type": (c_char_p, [PlatformListP, c_size_t]),
    "ocireg_platform_list_free": (None, [PlatformListP]),
    # image-source operations on any transport (src/ffi/image_source.rs)
    "ocireg_client_source_manifest": (
        status_t,
        [ClientP, c_char_p, ImageOptionsP, CancelP, POINTER(ContentP)],
    ),
    "ocireg_client_source_inspect": (
        status_t,
        [ClientP, c_char_p, ImageOptionsP, c_int, CancelP, POINTER(owned_str)],
    ),
    "ocireg_client_source_layers": (
        status_t,
        [ClientP, c_char_p, c_char_p, ImageOptionsP, c_int, CancelP, POINTER(owned_str)],
    ),
    "ocireg_image_name_intended_reference": (status_t, [c_char_p, POINTER(owned_str)]),
    "ocireg_client_source_tags": (status_t, [ClientP, c_char_p, CancelP, POINTER(StringListP)]),
}


def _shared_library_name() -> str:
    if sys.platform == "darwin":
        return "libocireg.dylib"
    if sys.platform == "win32":
        return "ocireg.dll"
    return "libocireg.so"


def _candidates() -> list[tuple[str, str]]:
    """(path, where it came from) in search order."""
    env = os.environ.get("OCIREG_LIBRARY")
    if env:
        # An explicit choice is the only candidate: silently falling back
        # to another copy would hide a mistake.
        return [(env, "OCIREG_LIBRARY")]
    found = []
    name = _shared_library_name()
    # What the package carries; one file, named by the library's SONAME.
    for packaged in sorted((Path(__file__).resolve().parent / "_native").glob(name + "*")):
        found.append((str(packaged), "the package"))
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "build" / "lib" / name
        if candidate.exists():
            found.append((str(candidate), "the build tree"))
            break
    system = ctypes.util.find_library("ocireg")
    if system:
        found.append((system, "the system"))
    return found


def _load() -> tuple[ctypes.CDLL, str]:
    tried = []
    for path, origin in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"  {path} (from {origin}): {e}")
    if os.environ.get("OCIREG_LIBRARY"):
        detail = "\n".join(tried)
        raise ImportError(f"ocireg: cannot load the library named by OCIREG_LIBRARY:\n{detail}")
    detail = ("\ntried:\n" + "\n".join(tried)) if tried else ""
    raise ImportError(
        "ocireg: libocireg not found. Install the package with the library inside "
        "(`make wheel`, or `make lib` then `pip install ./bindings/python`, in the "
        "source tree), build it with `make lib` (it lands in build/lib/ of the source "
        "tree), install it with `make install`, or set OCIREG_LIBRARY to the path of "
        "libocireg.so." + detail
    )


class _Missing:
    """Stands in for a function the loaded library lacks (an older
    libocireg): everything else keeps working, and calling it says why."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: object) -> NoReturn:
        raise NotImplementedError(
            f"{self.name} is not in the loaded libocireg ({library_path}); it is older than this binding"
        )


def _declare(cdll: ctypes.CDLL) -> list[str]:
    missing = []
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            setattr(cdll, name, _Missing(name))
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    return missing


lib, library_path = _load()
# Functions of include/ocireg.h the loaded library does not export.
missing = _declare(lib)
