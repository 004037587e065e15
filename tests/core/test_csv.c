/* tests/core/test_csv.c — the CSV reader: quoting, line numbers, errors. */
#include "dlld/core.h"
#include "harness.h"

#include <string.h>

static struct dlld_csv *parse(const char *text, struct dlld_error *err)
{
	struct dlld_csv *csv = NULL;
	dlld_error_clear(err);
	dlld_csv_parse("t.csv", text, strlen(text), &csv, err);
	return csv;
}

static void test_basic_and_quotes(void)
{
	struct dlld_error err;
	struct dlld_csv *csv = parse("\xEF\xBB\xBFpatient_id,note, x \r\n"
				     "P1,\"a, \"\"quoted\"\" one\",1.5\r\n"
				     "\r\n"
				     "P2,,  -2 \n",
				     &err);
	int col;
	double x;

	CHECK(csv != NULL);
	if (!csv)
		return;
	CHECK_INT_EQ(dlld_csv_rows(csv), 2);
	CHECK_INT_EQ(dlld_csv_columns(csv), 3);
	CHECK_INT_EQ(dlld_csv_column(csv, "patient_id"), 0);
	CHECK_INT_EQ(dlld_csv_column(csv, "x"), 2);
	CHECK_STR_EQ(dlld_csv_cell(csv, 0, 1), "a, \"quoted\" one");
	CHECK_STR_EQ(dlld_csv_cell(csv, 1, 1), "");
	CHECK_INT_EQ(dlld_csv_line(csv, 1), 4);
	CHECK_INT_EQ(dlld_csv_require(csv, "x", &col, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_csv_double(csv, 1, col, &x, &err), DLLD_STATUS_OK);
	CHECK(x == -2.0);
	dlld_csv_destroy(csv);
}

static void test_missing_column_names_it(void)
{
	struct dlld_error err;
	struct dlld_csv *csv = parse("patient_id,diseased\nP1,1\n", &err);
	int col;

	CHECK_INT_EQ(dlld_csv_require(csv, "lesion_id", &col, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "lesion_id") != NULL);
	CHECK_STR_EQ(err.file, "t.csv");
	CHECK_INT_EQ(err.line, 1);
	dlld_csv_destroy(csv);
}

static void test_bad_number_names_line_and_column(void)
{
	struct dlld_error err;
	struct dlld_csv *csv = parse("a,rating\n1,2\n3,high\n", &err);
	double x;

	CHECK_INT_EQ(dlld_csv_double(csv, 1, 1, &x, &err), DLLD_STATUS_MALFORMED);
	CHECK_INT_EQ(err.line, 3);
	CHECK(strstr(err.reason, "rating") && strstr(err.reason, "high"));
	dlld_csv_destroy(csv);
}

static void test_malformed_tables(void)
{
	struct dlld_error err;

	CHECK(parse("a,b\n1,2,3\n", &err) == NULL);
	CHECK_INT_EQ(err.status, DLLD_STATUS_MALFORMED);
	CHECK_INT_EQ(err.line, 2);
	CHECK(parse("a,b\n1,\"open\n", &err) == NULL);
	CHECK(strstr(err.reason, "unterminated") != NULL);
	CHECK(parse("", &err) == NULL);
	CHECK(parse("a,a\n1,2\n", &err) == NULL);
	CHECK(strstr(err.reason, "duplicate column") != NULL);
	CHECK(parse("a,b\n\"x\"y,2\n", &err) == NULL);
}

static void test_write_cell_quotes(void)
{
	char buf[64] = {0};
	FILE *fp = fmemopen(buf, sizeof buf, "w");
	dlld_csv_write_cell(fp, "plain");
	fputc(',', fp);
	dlld_csv_write_cell(fp, "a,\"b\"");
	fclose(fp);
	CHECK_STR_EQ(buf, "plain,\"a,\"\"b\"\"\"");
}

int main(void)
{
	dlld_test_run("csv: BOM, CRLF, quotes, blank lines, trimming", test_basic_and_quotes);
	dlld_test_run("csv: missing column named with file and line", test_missing_column_names_it);
	dlld_test_run("csv: bad number names line and column", test_bad_number_names_line_and_column);
	dlld_test_run("csv: malformed tables rejected", test_malformed_tables);
	dlld_test_run("csv: cells quoted on write", test_write_cell_quotes);
	return dlld_test_finish();
}
