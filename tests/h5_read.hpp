// Reading HDF5 files with the C API in tests (shared by the writer and sweep tests).
// Include only where IONFLUX_TEST_HDF5 is defined (HDF5 headers available).
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ionflux {
namespace testing {
namespace h5 {

// Reading with the HDF5 C API.

//! An owned HDF5 id.
class Id {
 public:
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Id() {
    if (id_ >= 0) closer_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  operator hid_t() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

struct Silence {
  Silence() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};

class File {
 public:
  explicit File(const std::string& path) : id_(open(path), H5Fclose) {
    if (!id_.ok()) throw std::runtime_error("cannot open " + path);
  }
  //! A file whose writer died stays marked as being written: it is read as a SWMR
  //! reader, as ionflux.load does (docs/hdf5_layout.md, "Watching a running sweep").
  static hid_t open(const std::string& path) {
    const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    return id >= 0 ? id : H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  }
  operator hid_t() const { return id_; }

 private:
  Silence silence_;
  Id id_;
};

inline bool exists(hid_t loc, const std::string& path) {
  // Check each level: H5Lexists fails rather than answers for a missing parent group.
  std::string prefix;
  std::istringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.empty()) continue;
    prefix += "/" + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

inline std::vector<hsize_t> shape(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw std::runtime_error("no dataset " + path);
  Id space(H5Dget_space(ds), H5Sclose);
  std::vector<hsize_t> dims(std::max(0, H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

inline std::vector<double> read_doubles(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw std::runtime_error("no dataset " + path);
  Id space(H5Dget_space(ds), H5Sclose);
  std::vector<double> v(std::size_t(H5Sget_simple_extent_npoints(space)));
  if (!v.empty() && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw std::runtime_error("cannot read " + path);
  return v;
}

inline std::vector<int> read_ints(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw std::runtime_error("no dataset " + path);
  Id space(H5Dget_space(ds), H5Sclose);
  std::vector<int> v(std::size_t(H5Sget_simple_extent_npoints(space)));
  if (!v.empty() && H5Dread(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw std::runtime_error("cannot read " + path);
  return v;
}

inline std::vector<long long> read_int64s(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw std::runtime_error("no dataset " + path);
  Id space(H5Dget_space(ds), H5Sclose);
  std::vector<long long> v(std::size_t(H5Sget_simple_extent_npoints(space)));
  if (!v.empty() && H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw std::runtime_error("cannot read " + path);
  return v;
}

//! One cell's outputs of a ragged /cells dataset ([offset[i], offset[i] + count[i])).
inline std::vector<double> read_cell(hid_t file, const std::string& path, std::size_t i) {
  const std::vector<double> all = read_doubles(file, path);
  const long long at = read_int64s(file, "/cells/offset").at(i), n = read_int64s(file, "/cells/count").at(i);
  return std::vector<double>(all.begin() + at, all.begin() + at + n);
}

//! Variable-length string type for reading.
inline Id vlen_string() {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Id(H5Tcopy(t), H5Tclose);
}

inline std::vector<std::string> read_strings(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw std::runtime_error("no dataset " + path);
  Id space(H5Dget_space(ds), H5Sclose);
  std::vector<char*> raw(std::size_t(H5Sget_simple_extent_npoints(space)), nullptr);
  Id type = vlen_string();
  if (!raw.empty() && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    throw std::runtime_error("cannot read " + path);
  std::vector<std::string> v;
  for (char* p : raw) {
    v.emplace_back(p != nullptr ? p : "");
    if (p != nullptr) H5free_memory(p);
  }
  return v;
}

//! A scalar variable-length string attribute of the object at `path` ("/" for the root).
inline std::string read_string_attribute(hid_t file, const std::string& path, const std::string& name) {
  Id attr(H5Aopen_by_name(file, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) throw std::runtime_error("no attribute " + name + " on " + path);
  Id ftype(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) <= 0 || H5Tget_cset(ftype) != H5T_CSET_UTF8)
    throw std::runtime_error("attribute " + name + " on " + path + " is not a variable-length UTF-8 string");
  Id type = vlen_string();
  char* raw = nullptr;
  if (H5Aread(attr, type, &raw) < 0) throw std::runtime_error("cannot read attribute " + name);
  std::string value = raw != nullptr ? raw : "";
  if (raw != nullptr) H5free_memory(raw);
  return value;
}

inline int read_int_attribute(hid_t file, const std::string& path, const std::string& name) {
  Id attr(H5Aopen_by_name(file, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) throw std::runtime_error("no attribute " + name + " on " + path);
  int v = 0;
  if (H5Aread(attr, H5T_NATIVE_INT, &v) < 0) throw std::runtime_error("cannot read attribute " + name);
  return v;
}

}  // namespace h5
}  // namespace testing
}  // namespace ionflux
