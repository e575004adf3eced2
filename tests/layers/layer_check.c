/* layer_check.c - the empty program each layer's library is linked whole
 * into, against only the layers below it (CMakeLists.txt): it links only
 * if no file of the layer calls up the stack. */
int main(void)
{
	return 0;
}
